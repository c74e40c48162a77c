#!/usr/bin/env python3
"""TAP tests for qr_decode.py: round trips through qrencode drawings.

qrencode's own conventions match ours: `-t UTF8` draws light modules as ink
('█' quiet zone), `-t ASCIIi` draws light modules as '##'. The block
rendering is ASCIIi with '#' -> '█'.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DECODER = os.path.join(HERE, "qr_decode.py")
URL = "https://dt.example.com/l/AbCdEfGh12345678"

results = []


def check(cond, desc):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), desc), flush=True)


def qrencode(kind, margin=2, text=URL):
    p = subprocess.run(["qrencode", "-t", kind, "-m", str(margin), text],
                       capture_output=True, timeout=30, check=True)
    return p.stdout.decode("utf-8")


def decode(tmp, text, *opts, stdin=False):
    path = os.path.join(tmp, "t.txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    cmd = [sys.executable, DECODER] + list(opts) + (["-"] if stdin else [path])
    p = subprocess.run(cmd, capture_output=True, timeout=60,
                       input=text.encode("utf-8") if stdin else None)
    return p.returncode, p.stdout.decode("utf-8", "replace").strip()


def transcript(qr, first_line="Scan this QR with DingTalk:"):
    return ("%s\n%sor open %s and choose the number 42\nPress Enter after approving: \n"
            % (first_line, qr, URL))


CASES = 15


def main():
    missing = [t for t in ("qrencode", "zbarimg") if not shutil.which(t)]
    if missing:
        print("1..%d" % CASES)
        for i in range(1, CASES + 1):
            print("ok %d # SKIP %s not installed" % (i, " and ".join(missing)))
        return 0
    print("1..%d" % CASES, flush=True)
    tmp = tempfile.mkdtemp(prefix="qr-decode-test-")
    try:
        utf8 = qrencode("UTF8")
        ascii_ = "".join(l.rstrip() + "\n" for l in qrencode("ASCIIi").splitlines())
        block = qrencode("ASCIIi").replace("#", "█")

        for name, qr in (("utf8", utf8), ("ascii", ascii_), ("block", block)):
            rc, out = decode(tmp, transcript(qr))
            check(rc == 0 and out == URL, "auto: %s drawing round-trips" % name)
            rc, out = decode(tmp, transcript(qr), "--rendering", name)
            check(rc == 0 and out == URL, "--rendering %s round-trips" % name)

        rc, out = decode(tmp, "(alice@jump-01) " + utf8 + "tail\n")
        check(rc == 0 and out == URL, "'(user@host) ' prefix on the first line is dropped")
        indented = "".join("  " + l + "\n" for l in utf8.splitlines())
        rc, out = decode(tmp, transcript(indented))
        check(rc == 0 and out == URL, "indented drawing still decodes")
        rc, out = decode(tmp, transcript(utf8), stdin=True)
        check(rc == 0 and out == URL, "reads the transcript from stdin ('-')")

        rc, _ = decode(tmp, transcript(utf8), "--double-width")
        check(rc == 1, "double-width terminal breaks the utf8 rendering")
        rc, _ = decode(tmp, transcript(block), "--double-width")
        check(rc == 1, "double-width terminal breaks the block rendering")
        rc, out = decode(tmp, transcript(ascii_), "--double-width")
        check(rc == 0 and out == URL, "double-width terminal leaves ascii intact")

        rc, _ = decode(tmp, transcript(qrencode("UTF8", margin=0)))
        check(rc == 1, "no light quiet zone against the dark terminal -> no decode")
        rc, _ = decode(tmp, transcript(qrencode("UTF8i")))
        check(rc == 1, "inverted drawing (dark modules as ink) -> no decode")
        rc, _ = decode(tmp, "just some text\nno qr here\n")
        check(rc == 1, "a transcript without a QR -> exit 1")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(results) != CASES:
        print("# planned %d tests, ran %d" % (CASES, len(results)))
        return 1
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
