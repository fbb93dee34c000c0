"""Calls read aloud: prefix letters, every leading zero, then the number; counter in words."""

from __future__ import annotations

import pytest

from display.spoken import call_sentence, counter_words, number_words, ticket_words


@pytest.mark.parametrize(
    ("number", "spanish", "english"),
    [
        ("A042", "A cero cuarenta y dos", "A zero forty two"),
        ("A001", "A cero cero uno", "A zero zero one"),
        ("B010", "B cero diez", "B zero ten"),
        ("C100", "C cien", "C one hundred"),
        ("A121", "A ciento veintiuno", "A one hundred twenty one"),
        ("P999", "P novecientos noventa y nueve", "P nine hundred ninety nine"),
        ("A1000", "A mil", "A one thousand"),
        ("AB015", "A B cero quince", "A B zero fifteen"),
        ("A000", "A cero cero cero", "A zero zero zero"),
    ],
)
def test_ticket_numbers_read_as_printed(number, spanish, english):
    assert ticket_words(number, "es") == spanish
    assert ticket_words(number, "en") == english


def test_cardinals_in_both_languages():
    assert number_words(22, "es") == "veintidós"
    assert number_words(1234, "es") == "mil doscientos treinta y cuatro"
    assert number_words(2001, "es") == "dos mil uno"
    assert number_words(1234, "en") == "one thousand two hundred thirty four"
    with pytest.raises(ValueError):
        number_words(-1, "es")


def test_counter_labels_and_whole_sentences():
    assert counter_words("Ventanilla 3", "es") == "ventanilla tres"
    assert counter_words("Ventanilla 3", "en") == "counter three"
    assert counter_words("Caja rápida", "en") == "Caja rápida"
    assert call_sentence("A042", "Ventanilla 3", "es") == (
        "Turno A cero cuarenta y dos, ventanilla tres"
    )
    assert call_sentence("A042", "Ventanilla 3", "en") == "Ticket A zero forty two, counter three"
    assert ticket_words("SIN-NUMERO", "es") == "SIN-NUMERO"
