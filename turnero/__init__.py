"""Turnero: the shell around the programs (command line, device configuration)."""

from queue_api import __version__

__all__ = ["__version__"]
