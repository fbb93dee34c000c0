"""The counter's words: every screen and widget reads counter/locales in its own language."""

from __future__ import annotations

from queue_api.i18n import Words


class CounterWords:
    """Gives a screen or widget ``t(key)``; it sets ``language`` in its constructor."""

    language: str

    def t(self, key: str, **values: object) -> str:
        """The catalog text for ``key`` in this widget's language, formatted with ``values``."""
        return Words(self.language, "counter")(key, **values)
