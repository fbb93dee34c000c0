"""Turnero: the shell around the programs (command line, device configuration) and what the
apps share, such as the big-glyph font (``glyphs``, ``big_text``) of ticket numbers."""

from queue_api import __version__

__all__ = ["__version__"]
