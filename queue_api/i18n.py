"""Citizen-facing text in the office's languages: one TOML catalog per language and package.

A package keeps ``locales/es.toml``, ``locales/en.toml``...; adding a language is adding one
file beside them. Missing keys fall back to Spanish, then to the key itself, so a gap in a
translation shows up as text, never as a crash.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

FALLBACK = "es"


LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
"""What a language code looks like (``es``, ``en``, ``pt-BR``): never a path."""


@cache
def _catalog(package: str, language: str) -> dict[str, str]:
    if not LANGUAGE_CODE.fullmatch(language):
        # Codes can come from a URL (?lang=): "../../x" must not read files nor fill the cache.
        return {}
    source = resources.files(package).joinpath("locales", f"{language}.toml")
    if not source.is_file():
        return {}
    return tomllib.loads(source.read_text(encoding="utf-8"))


def languages(package: str) -> list[str]:
    """Languages a package has a catalog for, Spanish first."""
    folder = resources.files(package).joinpath("locales")
    found = sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )
    return sorted(found, key=lambda code: code != FALLBACK)


def translate(package: str, language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language``, formatted with ``values``."""
    text = _catalog(package, language).get(key) or _catalog(package, FALLBACK).get(key) or key
    return text.format(**values) if values else text


def wait_minutes(seconds: float) -> int:
    """The one rule for an estimated wait in whole minutes, everywhere (paper, screens, phone):
    rounded up, since a citizen told "5 min" who waits 5:40 feels misled; one told 6 does not."""
    return math.ceil(seconds / 60)


SHORT_WAIT_MINUTES = 5
"""Waits up to this read "under 5 min": a finer promise would not be kept."""


def range_minutes(low_seconds: float, high_seconds: float) -> tuple[int, int]:
    """A wait range on the grid people read at a glance, in whole minutes, widened outwards:
    ``(0, 5)`` up to 5 min, then steps of 5 min up to an hour, 10 up to two, 30 beyond."""
    low = max(math.floor(low_seconds / 60), 0)
    high = max(math.ceil(high_seconds / 60), low)
    if high <= SHORT_WAIT_MINUTES:
        return (0, SHORT_WAIT_MINUTES)
    step = 5 if high <= 60 else 10 if high <= 120 else 30
    low, high = low // step * step, -(-high // step) * step
    return (low, high if high > low else low + step)


def wait_range(low_seconds: float, high_seconds: float, language: str = FALLBACK) -> str:
    """The one wording of an estimated wait range, everywhere (paper, kiosk, phone, counter):
    "10-15 min", "menos de 5 min" / "under 5 min", "2-3 h" (``queue_api`` catalogs)."""
    low, high = range_minutes(low_seconds, high_seconds)
    if low == 0:
        return translate("queue_api", language, "wait.range_under", m=high)
    if high > 120:
        low_hours, high_hours = _hours(low, language), _hours(high, language)
        return translate("queue_api", language, "wait.range_hours", low=low_hours, high=high_hours)
    return translate("queue_api", language, "wait.range", low=low, high=high)


def _hours(minutes: int, language: str) -> str:
    """``minutes`` (a multiple of 30) in hours: "2", "2,5" (Spanish) or "2.5"."""
    whole, half = divmod(minutes, 60)
    if not half:
        return str(whole)
    return f"{whole}{translate('queue_api', language, 'wait.decimal_mark')}5"


@dataclass(frozen=True)
class Words:
    """Text in one language from one package's catalogs (``kiosk``, ``counter``, ``display``,
    ``device``; ``queue_api`` for the server's own pages)."""

    language: str = FALLBACK
    package: str = "queue_api"

    def __call__(self, key: str, **values: object) -> str:
        """The catalog text for ``key``, formatted with ``values``."""
        return translate(self.package, self.language, key, **values)

    def wait(self, seconds: float | None) -> str:
        """An estimated wait as people say it: "12 min", "1 h 5 min" (keys ``wait.*``)."""
        if seconds is None:
            return self("wait.unknown")
        if seconds < 60:
            return self("wait.under_minute")
        minutes = wait_minutes(seconds)
        if minutes < 60:
            return self("wait.minutes", m=minutes)
        return self("wait.hours", h=minutes // 60, m=minutes % 60)

    def wait_range(self, range_seconds: tuple[int, int] | None, seconds: float | None) -> str:
        """An estimate as people read it: its range (``wait_range``) when there is one, else
        the single figure (``wait``)."""
        if range_seconds is None:
            return self.wait(seconds)
        return wait_range(*range_seconds, self.language)

    def counted(self, prefix: str, n: int) -> str:
        """``prefix_none`` / ``prefix_one`` / ``prefix_many`` chosen by ``n``."""
        if n <= 0:
            return self(f"{prefix}_none")
        if n == 1:
            return self(f"{prefix}_one")
        return self(f"{prefix}_many", n=n)
