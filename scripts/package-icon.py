#!/usr/bin/env python3
"""Draws the packages' icon (docs/images/package-icon.png, 128x128 RGBA) with the standard library only, so the
image in the repository can be remade and changed: python3 scripts/package-icon.py.
A blue rounded square holding a stack of three storage disks and a green check mark: backups that restore."""
import math
import struct
import zlib
from pathlib import Path

SIZE, SCALE = 128, 4          # drawn at 4x and averaged down, for smooth edges
BLUE, WHITE, GREEN = (31, 92, 168), (255, 255, 255), (46, 160, 67)


def rounded_rect(x, y, left, top, right, bottom, radius):
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 and left <= x <= right and top <= y <= bottom


def segment_distance(x, y, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)


def color_at(x, y):
    """The colour at a point in 128x128 coordinates, or None outside the icon."""
    if not rounded_rect(x, y, 4, 4, 124, 124, 22):
        return None
    colour = BLUE
    for top in (26, 50, 74):                                   # the disks
        if rounded_rect(x, y, 24, top, 92, top + 18, 6):
            colour = WHITE
        if math.hypot(x - 82, y - (top + 9)) <= 3:             # each disk's light
            colour = GREEN
    if math.hypot(x - 94, y - 94) <= 24:                       # the check mark's badge, ringed in blue
        colour = BLUE if math.hypot(x - 94, y - 94) > 21 else GREEN
        if min(segment_distance(x, y, 83, 95, 91, 103), segment_distance(x, y, 91, 103, 106, 86)) <= 3.5:
            colour = WHITE
    return colour


def pixels():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])                                   # PNG filter type: none
        for px in range(SIZE):
            totals, covered = [0, 0, 0], 0
            for sy in range(SCALE):
                for sx in range(SCALE):
                    colour = color_at(px + (sx + 0.5) / SCALE, py + (sy + 0.5) / SCALE)
                    if colour is not None:
                        covered += 1
                        totals = [t + c for t, c in zip(totals, colour)]
            if covered:
                row += bytes(round(t / covered) for t in totals) + bytes([round(255 * covered / SCALE ** 2)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main():
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels(), 9)) + chunk(b"IEND", b"")
    path = Path(__file__).resolve().parent.parent / "docs" / "images" / "package-icon.png"
    path.write_bytes(png)
    print(f"{path}: {len(png)} bytes")


if __name__ == "__main__":
    main()
