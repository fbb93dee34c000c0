"""A 5x7 bitmap font for any ticket prefix and counter label, drawn with half-block characters.

Textual's ``Digits`` only draws 0-9 and A-F large; tickets use any capital letter and counter
labels are words. Each pixel is ``scale`` columns wide and ``scale`` half-rows tall, so pixels
are square on a terminal whose cells are twice as tall as wide.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

GLYPH_WIDTH = 5
GLYPH_HEIGHT = 7
GAP = 1
"""Blank pixel columns between two glyphs."""

_FONT_ROWS: dict[str, tuple[str, ...]] = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "I": (".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "J": ("..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "Q": (".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "Z": ("#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"),
    "Ñ": (".#.#.", "#.#..", "#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "0": (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    "1": ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "2": (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    "3": ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    "4": ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    "6": ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    "7": ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    "8": (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    "9": (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
    " ": (".....",) * 7,
    "-": (".....", ".....", ".....", "#####", ".....", ".....", "....."),
    ".": (".....", ".....", ".....", ".....", ".....", ".##..", ".##.."),
    "/": (".....", "....#", "...#.", "..#..", ".#...", "#....", "....."),
    "#": (".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#."),
    "?": (".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."),
}

UNKNOWN = "?"

Bitmap = tuple[tuple[bool, ...], ...]

FONT: dict[str, Bitmap] = {
    char: tuple(tuple(pixel == "#" for pixel in row) for row in rows)
    for char, rows in _FONT_ROWS.items()
}


def glyph_for(char: str) -> Bitmap:
    """The bitmap of ``char``: letters are drawn upper case, accents dropped, unknowns as '?'."""
    upper = char.upper()
    if upper in FONT:
        return FONT[upper]
    # "Módulo" reads as "MODULO" on a sign; the base letter keeps it readable.
    base = unicodedata.normalize("NFD", upper)[:1]
    return FONT.get(base, FONT[UNKNOWN])


def text_width(text: str, scale: int) -> int:
    """Columns that ``render(text, scale)`` takes."""
    if not text:
        return 0
    return (len(text) * (GLYPH_WIDTH + GAP) - GAP) * scale


def text_height(scale: int) -> int:
    """Rows that ``render(text, scale)`` takes."""
    return -(-GLYPH_HEIGHT * scale // 2)


def render(text: str, scale: int = 1) -> list[str]:
    """``text`` in big glyphs: one string per terminal row, all of ``text_width`` columns."""
    return list(_render(text, scale))


@lru_cache(maxsize=256)  # a board redraws the same few numbers and labels many times
def _render(text: str, scale: int) -> tuple[str, ...]:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    glyphs = [glyph_for(char) for char in text]
    pixel_rows: list[list[bool]] = []
    for y in range(GLYPH_HEIGHT):
        row: list[bool] = []
        for index, glyph in enumerate(glyphs):
            if index:
                row.extend([False] * GAP)
            row.extend(glyph[y])
        # Each pixel becomes ``scale`` columns and ``scale`` half-rows.
        wide = [pixel for pixel in row for _ in range(scale)]
        pixel_rows.extend([wide] * scale)
    if len(pixel_rows) % 2:
        pixel_rows.append([False] * len(pixel_rows[0]) if pixel_rows else [])
    lines = []
    for top, bottom in zip(pixel_rows[::2], pixel_rows[1::2], strict=True):
        lines.append(
            "".join(_HALF_BLOCKS[(upper, lower)] for upper, lower in zip(top, bottom, strict=True))
        )
    return tuple(lines)


_HALF_BLOCKS = {
    (False, False): " ",
    (True, False): "▀",
    (False, True): "▄",
    (True, True): "█",
}


def largest_scale(text: str, width: int, height: int, limit: int = 12) -> int:
    """The biggest scale at which ``text`` fits ``width`` x ``height`` cells; 0 if none does."""
    best = 0
    for scale in range(1, limit + 1):
        if text_width(text, scale) <= width and text_height(scale) <= height:
            best = scale
        else:
            break
    return best
