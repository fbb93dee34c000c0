"""The desk's banners (server out of reach, LED board lost) and its one-line notice."""

from __future__ import annotations

from textual.widgets import Static

from counter.text_fields import set_text
from counter.wording import CounterWords

OFFLINE_NOTICE_AFTER = 5.0
"""Seconds a notice about the server being out of reach stays once the server is back."""


class OfflineBanner(CounterWords, Static):
    """Up while the server is out of reach; hidden before the first answer or failure."""

    def __init__(self, language: str, **kwargs: object) -> None:
        self.language = language
        super().__init__(self.t("offline"), **kwargs)  # type: ignore[arg-type]

    def show(self, online: bool | None) -> None:
        """Follow the screen's ``online`` (None: not known yet)."""
        self.display = online is False


class BoardWarning(Static):
    """What is wrong with the LED board over the desk; hidden while nothing is."""

    def say(self, text: str) -> None:
        """Show ``text``; empty hides the banner."""
        set_text(self, text)
        self.display = bool(text)


class DeskNotice(Static):
    """The answer to the clerk's last action, or why it failed.

    A notice that the server was out of reach (``until_online``) goes by itself a moment
    after the server is back: long enough to be read.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        #: The notice says the server was out of reach: it goes when the server is back.
        self.until_online = False
        self.online: bool | None = None

    def say(self, text: str, *, error: bool = False, until_online: bool = False) -> None:
        """Show ``text`` (in the error style with ``error``)."""
        self.until_online = until_online
        set_text(self, text)
        self.set_class(error, "-error")

    def follow(self, online: bool | None) -> None:
        """Follow the screen's ``online``: back online, an out-of-reach notice times out."""
        self.online = online
        if online and self.until_online:
            self.set_timer(OFFLINE_NOTICE_AFTER, self._end_offline_notice)

    def _end_offline_notice(self) -> None:
        if self.online and self.until_online:
            self.say("")
