"""Device faults (``device.alert``) in the reader's language, from the alert's ``kind``.

A device reports its fault in its own words (``detail``, English from the drivers); staff
read it in their screen's language from the catalog in ``device/locales``, one file per
language. A kind the catalog does not know yet is shown with the device's own detail.
"""

from __future__ import annotations

from queue_api.i18n import translate


def _known(language: str, key: str) -> str | None:
    # translate() falls back to Spanish, then to the key itself: the key back means unknown.
    text = translate("device", language, key)
    return None if text == key else text


def alert_words(kind: str, language: str) -> tuple[str, str] | None:
    """The part and the fault(s) of ``kind`` in ``language`` (``("Impresora", "sin papel:
    ...")``), or None when the catalog does not know every piece of it."""
    part, _, faults = kind.partition(".")
    part_words = _known(language, f"alert.part.{part}")
    if part_words is None or not faults:
        return None
    words = [_known(language, f"alert.fault.{fault}") for fault in faults.split("+")]
    if any(word is None for word in words):
        return None
    return part_words, "; ".join(word for word in words if word)
