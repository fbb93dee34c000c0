"""The supervisor's words (``supervisor/locales``) and how its figures read."""

from __future__ import annotations

from rich.text import Text

from device.alert_words import alert_words
from queue_api.i18n import Words

LEVEL_STYLES = {"fine": "bold green", "close": "bold yellow", "over": "bold red"}
"""A wait against its target: fine, close (from 75% of it) or over."""


def words(language: str) -> Words:
    """The supervisor's catalog in ``language``."""
    return Words(language, "supervisor")


def minutes(t: Words, seconds: float | None) -> str:
    """Whole minutes elapsed ("7 min"), or a dash when there is nothing to time."""
    if seconds is None:
        return "—"
    return t("minutes", m=int(seconds // 60))


def share(value: float | None) -> str:
    """A share as a whole percentage, or a dash before there is any."""
    return "—" if value is None else f"{round(value * 100)}%"


def level_text(text: str, level: str) -> Text:
    """``text`` in its level's colour."""
    return Text(text, style=LEVEL_STYLES.get(level, ""))


def fault_text(t: Words, kind: str) -> str:
    """A standing fault as staff read it: a device's fault in the devices' catalog, silence in
    the supervisor's own; the code itself only when neither knows it."""
    found = alert_words(kind, t.language)
    if found is not None:
        return f"{found[0]}: {found[1]}"
    key = f"fault.{kind}"
    text = t(key)
    return kind if text == key else text
