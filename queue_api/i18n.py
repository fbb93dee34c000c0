"""Citizen-facing text in the office's languages: one TOML catalog per language and package.

A package keeps ``locales/es.toml``, ``locales/en.toml``...; adding a language is adding one
file beside them. Missing keys fall back to Spanish, then to the key itself, so a gap in a
translation shows up as text, never as a crash.
"""

from __future__ import annotations

import re
import tomllib
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
