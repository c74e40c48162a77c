#!/usr/bin/env python3
"""Decode a QR code drawn as text in a terminal transcript (proves it scans).

  qr_decode.py [--rendering auto|utf8|block|ascii] [--double-width]
               [--keep-image PATH] FILE|-

Conventions (the way pam_dingtalk draws it): the terminal is light-on-dark,
so the glyph ink is a LIGHT module and the background a DARK one.
  utf8  : one cell = 1 module wide x 2 tall: '█' both light, '▀' top light,
          '▄' bottom light, ' ' both dark.
  block : '██' one light module, '  ' one dark module, one row per module row.
  ascii : '##' one light module, '  ' one dark module, one row per module row.
The code carries its own light quiet zone; beyond it the terminal background
is dark, and the image keeps it so (a dark margin around the code), which is
what a phone camera sees. Light modules are white (255), dark ones black (0).

The QR is the longest run of consecutive lines made only of the rendering's
characters (with at least one ink character). "(user@host) " at the start of
the first line of the transcript (OpenSSH's keyboard-interactive prefix) is
dropped. Rows are padded with dark cells to the widest row, since a stripped
trailing space is a dark module.

--double-width simulates a terminal that draws East-Asian ambiguous-width
characters (█ ▀ ▄) two cells wide while ASCII stays one cell: the text is laid
out on the cell grid as such a terminal would, then rasterized.

Writes a binary PGM and runs `zbarimg --quiet --raw`. Prints the decoded text
and exits 0; exits 1 with a message on stderr when nothing decodes, 2 on
usage or environment errors.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

MODULE_PX = 8          # pixels per module side
MARGIN_MODULES = 4     # dark terminal background around the drawing

CHARSETS = {
    "utf8": set("█▀▄ "),
    "block": set("█ "),
    "ascii": set("# "),
}
PREFIX_RE = re.compile(r"^\([^()\s]+@[^()\s]+\) ")


def qr_lines(text):
    lines = text.replace("\r\n", "\n").split("\n")
    lines = [l.rstrip("\r") for l in lines]
    if lines:
        lines[0] = PREFIX_RE.sub("", lines[0], count=1)
    return lines


def longest_run(lines, charset):
    """(start, end) of the longest run of lines made of charset with ink."""
    best = (0, 0)
    start = None
    for i, line in enumerate(lines + [None]):
        ok = (line is not None and line.strip() != ""
              and set(line) <= charset)
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def find_qr(lines, rendering):
    """Returns (rendering, rows)."""
    if rendering == "auto":
        s, e = longest_run(lines, CHARSETS["utf8"])
        if e - s >= 5:
            rows = lines[s:e]
            half = any(c in row for row in rows for c in "▀▄")
            return ("utf8" if half else "block"), rows
        s, e = longest_run(lines, CHARSETS["ascii"])
        return "ascii", lines[s:e]
    s, e = longest_run(lines, CHARSETS[rendering])
    return rendering, lines[s:e]


def cell_width(ch, double_width):
    if double_width and unicodedata.east_asian_width(ch) in ("A", "W", "F"):
        return 2
    return 1


def to_cells(rows, double_width):
    """Lay the text out on a terminal cell grid (list of rows of glyphs)."""
    grid = []
    for row in rows:
        cells = []
        for ch in row:
            cells.extend([ch] * cell_width(ch, double_width))
        grid.append(cells)
    width = max((len(r) for r in grid), default=0)
    return [r + [" "] * (width - len(r)) for r in grid]


def rasterize(grid, rendering):
    """Pixel rows (bytes) with a dark margin; light = 255, dark = 0."""
    if rendering == "utf8":
        cw, ch = MODULE_PX, 2 * MODULE_PX      # a cell: 1 module x 2 modules
    else:
        cw, ch = MODULE_PX // 2, MODULE_PX     # a cell: half a module x 1
    ncols = len(grid[0]) if grid else 0
    margin = MARGIN_MODULES * MODULE_PX
    width = 2 * margin + ncols * cw
    dark_row = bytes(width)
    pixels = [dark_row] * margin
    for cells in grid:
        if rendering == "utf8":
            top = bytearray(dark_row)
            bottom = bytearray(dark_row)
            for x, g in enumerate(cells):
                x0 = margin + x * cw
                if g in "█▀":
                    top[x0:x0 + cw] = b"\xff" * cw
                if g in "█▄":
                    bottom[x0:x0 + cw] = b"\xff" * cw
            pixels += [bytes(top)] * (ch // 2) + [bytes(bottom)] * (ch // 2)
        else:
            line = bytearray(dark_row)
            for x, g in enumerate(cells):
                if g in "█#":
                    x0 = margin + x * cw
                    line[x0:x0 + cw] = b"\xff" * cw
            pixels += [bytes(line)] * ch
    pixels += [dark_row] * margin
    return width, pixels


def write_pgm(path, width, pixels):
    with open(path, "wb") as fh:
        fh.write(b"P5\n%d %d\n255\n" % (width, len(pixels)))
        for row in pixels:
            fh.write(row)


def zbar(path):
    exe = shutil.which("zbarimg")
    if not exe:
        raise EnvironmentError("zbarimg not found (apt-get install zbar-tools)")
    p = subprocess.run([exe, "--quiet", "--raw", path], capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        return None
    out = p.stdout.decode("utf-8", "replace")
    return out[:-1] if out.endswith("\n") else out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Decode a text-drawn QR code")
    ap.add_argument("--rendering", choices=("auto", "utf8", "block", "ascii"),
                    default="auto")
    ap.add_argument("--double-width", action="store_true",
                    help="simulate East-Asian ambiguous-width chars drawn 2 cells wide")
    ap.add_argument("--keep-image", metavar="PATH", help="also keep the PGM here")
    ap.add_argument("file", help="transcript file, or - for stdin")
    args = ap.parse_args(argv)

    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as fh:
                data = fh.read()
    except OSError as e:
        print("qr_decode: %s" % e, file=sys.stderr)
        return 2
    lines = qr_lines(data.decode("utf-8", "replace"))
    rendering, rows = find_qr(lines, args.rendering)
    if len(rows) < 5:
        print("qr_decode: no %s QR drawing found" % rendering, file=sys.stderr)
        return 1
    grid = to_cells(rows, args.double_width)
    width, pixels = rasterize(grid, rendering)

    tmpdir = tempfile.mkdtemp(prefix="qr_decode-")
    try:
        pgm = os.path.join(tmpdir, "qr.pgm")
        write_pgm(pgm, width, pixels)
        if args.keep_image:
            shutil.copyfile(pgm, args.keep_image)
        try:
            text = zbar(pgm)
        except (EnvironmentError, subprocess.TimeoutExpired) as e:
            print("qr_decode: %s" % e, file=sys.stderr)
            return 2
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if text is None:
        print("qr_decode: zbarimg found no QR code in the %s rendering "
              "(%d text rows)" % (rendering, len(rows)), file=sys.stderr)
        return 1
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
