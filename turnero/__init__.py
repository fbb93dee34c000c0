"""Turnero's command line: one ``turnero`` command over the programs, the demo and diagnostics."""

from queue_api import __version__

__all__ = ["__version__"]
