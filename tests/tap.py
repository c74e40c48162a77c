"""TAP for the Python suites: one `ok`/`not ok` line per check, with the
detail of a failure as `#` lines. The caller prints the plan (1..N)."""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name), flush=True)
            if detail is not None:
                for line in str(detail).splitlines():
                    print("#   " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, want %r" % (got, want))

    def skip(self, count, why):
        """`count` checks that cannot run here (as automake's skips)."""
        for _ in range(count):
            self.n += 1
            print("ok %d # SKIP %s" % (self.n, why), flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)
