"""The kiosk's words: the shared :class:`queue_api.i18n.Words` reading kiosk/locales."""

from __future__ import annotations

from dataclasses import dataclass

from queue_api.i18n import FALLBACK
from queue_api.i18n import Words as SharedWords

DEFAULT_LANGUAGE = FALLBACK


@dataclass(frozen=True)
class Words(SharedWords):
    """Text for one language, read from kiosk/locales/<language>.toml."""

    language: str = DEFAULT_LANGUAGE
    package: str = "kiosk"
