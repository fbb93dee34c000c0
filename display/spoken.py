"""How a call sounds: ticket numbers and counter labels read out in words, per language.

"A042" is read letter by letter for the prefix, then every leading zero as a digit and the
rest as one number: Spanish "A cero cuarenta y dos", English "A zero forty two". People
compare what they hear with the digits printed on their ticket, so zeros are never dropped.
"""

from __future__ import annotations

import re

from queue_api.i18n import translate

_ES_UNITS = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
_ES_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta"}
_ES_TENS |= {8: "ochenta", 9: "noventa"}
_ES_HUNDREDS = {
    1: "ciento",
    2: "doscientos",
    3: "trescientos",
    4: "cuatrocientos",
    5: "quinientos",
    6: "seiscientos",
    7: "setecientos",
    8: "ochocientos",
    9: "novecientos",
}

_EN_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy"}
_EN_TENS |= {8: "eighty", 9: "ninety"}


def _spanish(n: int) -> str:
    if n < 30:
        return _ES_UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _ES_TENS[tens] + (f" y {_ES_UNITS[unit]}" if unit else "")
    if n == 100:
        return "cien"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ES_HUNDREDS[hundreds] + (f" {_spanish(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = "mil" if thousands == 1 else f"{_spanish(thousands)} mil"
    return head + (f" {_spanish(rest)}" if rest else "")


def _english(n: int) -> str:
    if n < 20:
        return _EN_UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _EN_TENS[tens] + (f" {_EN_UNITS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_UNITS[hundreds]} hundred" + (f" {_english(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{_english(thousands)} thousand" + (f" {_english(rest)}" if rest else "")


_CARDINALS = {"es": _spanish, "en": _english}


def number_words(n: int, language: str) -> str:
    """``n`` (0-999999) as words; languages without a reader fall back to Spanish."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"cannot read {n} aloud")
    return _CARDINALS.get(language, _spanish)(n)


def digits_words(digits: str, language: str) -> str:
    """A digit string as people read it off a ticket: "042" -> "cero cuarenta y dos"."""
    significant = digits.lstrip("0")
    zeros = len(digits) - len(significant)
    if not significant:
        zeros -= 1  # "000" reads "cero cero cero": the last zero is the number itself
    words = [number_words(0, language)] * zeros
    words.append(number_words(int(significant or "0"), language))
    return " ".join(words)


_TICKET = re.compile(r"^(?P<prefix>\D*)(?P<digits>\d+)$")
_LABEL = re.compile(r"^(?P<name>.*?)\s*(?P<digits>\d+)$")


def ticket_words(number: str, language: str) -> str:
    """ "A042" -> "A cero cuarenta y dos" (es) / "A zero forty two" (en)."""
    match = _TICKET.match(number.strip())
    if not match:
        return number
    letters = " ".join(match["prefix"].strip())
    spoken = digits_words(match["digits"], language)
    return f"{letters} {spoken}" if letters else spoken


def counter_words(label: str, language: str) -> str:
    """A counter label as said aloud: "Ventanilla 3" -> "ventanilla tres" / "counter three"."""
    match = _LABEL.match(label.strip())
    if not match:
        return label
    n = number_words(int(match["digits"]), language)
    return translate("display", language, "speech.counter", label=match["name"].lower(), n=n)


def call_sentence(number: str, counter_label: str, language: str) -> str:
    """The whole spoken call: "Turno A cero cuarenta y dos, ventanilla tres"."""
    return translate(
        "display",
        language,
        "speech.call",
        ticket=ticket_words(number, language),
        counter=counter_words(counter_label, language),
    )
