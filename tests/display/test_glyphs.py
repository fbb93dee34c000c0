"""The big-glyph font draws every prefix letter and counter label, at the size that fits."""

from __future__ import annotations

import string

import pytest

from device.glyphs import FONT, GLYPH_HEIGHT, glyph_for, largest_scale, render, text_width


def test_every_capital_letter_and_digit_has_its_own_glyph():
    wanted = string.ascii_uppercase + string.digits
    assert set(wanted) <= set(FONT)
    bitmaps = [FONT[char] for char in wanted]
    assert len(set(bitmaps)) == len(wanted), "two characters would look the same"
    assert all(len(bitmap) == GLYPH_HEIGHT and any(map(any, bitmap)) for bitmap in bitmaps)


def test_lower_case_and_accents_read_as_their_capital_letter():
    assert glyph_for("a") == FONT["A"]
    assert glyph_for("ó") == FONT["O"]
    assert glyph_for("Ñ") == FONT["Ñ"] != FONT["N"]
    assert glyph_for("€") == FONT["?"]


def test_render_draws_pixels_as_half_blocks():
    rows = render("L", 1)
    # L is a column on the left and a full bottom row; 7 pixel rows make 4 terminal rows.
    assert rows == ["█    ", "█    ", "█    ", "▀▀▀▀▀"]
    assert render("I1", 2)[0] == "  ██████        ██    "  # I, a 2-column gap, 1


@pytest.mark.parametrize("scale", [1, 2, 3, 5])
def test_render_has_the_size_it_announces(scale):
    rows = render("A042", scale)
    assert len(rows) == -(-GLYPH_HEIGHT * scale // 2)
    assert {len(row) for row in rows} == {text_width("A042", scale)}


def test_largest_scale_fits_the_space_or_says_none_does():
    assert largest_scale("A042", 80, 8) == 2  # 46 columns, 7 rows
    assert largest_scale("A042", 200, 40) == 8  # 184 columns, 28 rows
    assert largest_scale("A042", 183, 40) == 7
    assert largest_scale("VENTANILLA 12", 40, 10) == 0
    with pytest.raises(ValueError):
        render("A", 0)
