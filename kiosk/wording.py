"""The kiosk's words in one language: catalog lookups and the few numbers put into words."""

from __future__ import annotations

import math
from dataclasses import dataclass

from queue_api.i18n import translate

DEFAULT_LANGUAGE = "es"


@dataclass(frozen=True)
class Words:
    """Text for one language, read from kiosk/locales/<language>.toml."""

    language: str = DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: object) -> str:
        """The catalog text for ``key``, formatted with ``values``."""
        return translate("kiosk", self.language, key, **values)

    def wait(self, seconds: int | None) -> str:
        """An estimated wait as people say it: "12 min", "1 h 5 min"."""
        if seconds is None:
            return self("wait.unknown")
        if seconds < 60:
            return self("wait.under_minute")
        # Rounded up: a citizen told "5 min" who waits 5:40 feels misled; one told 6 does not.
        minutes = math.ceil(seconds / 60)
        if minutes < 60:
            return self("wait.minutes", m=minutes)
        return self("wait.hours", h=minutes // 60, m=minutes % 60)

    def counted(self, prefix: str, n: int) -> str:
        """``prefix.none`` / ``prefix.one`` / ``prefix.many`` chosen by ``n``."""
        if n <= 0:
            return self(f"{prefix}_none")
        if n == 1:
            return self(f"{prefix}_one")
        return self(f"{prefix}_many", n=n)
