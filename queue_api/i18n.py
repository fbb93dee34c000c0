"""Citizen-facing text in the office's languages: one TOML catalog per language and package.

A package keeps ``locales/es.toml``, ``locales/en.toml``...; adding a language is adding one
file beside them. Missing keys fall back to Spanish, then to the key itself, so a gap in a
translation shows up as text, never as a crash.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

FALLBACK = "es"


@cache
def _catalog(package: str, language: str) -> dict[str, str]:
    source = resources.files(package).joinpath("locales", f"{language}.toml")
    if not source.is_file():
        return {}
    return tomllib.loads(source.read_text(encoding="utf-8"))


def languages(package: str) -> list[str]:
    """Languages a package has a catalog for, Spanish first."""
    folder = resources.files(package).joinpath("locales")
    found = sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir())
    return sorted(found, key=lambda code: code != FALLBACK)


def translate(package: str, language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language``, formatted with ``values``."""
    text = _catalog(package, language).get(key) or _catalog(package, FALLBACK).get(key) or key
    return text.format(**values) if values else text
