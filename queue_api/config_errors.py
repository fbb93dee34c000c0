"""Turn validation errors into messages an operator can act on: file, key, what was expected."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ConfigError(Exception):
    """A configuration file is missing or wrong; the message names the file, the key and the fix."""


def describe(path: Path | str, error: ValidationError) -> ConfigError:
    """One ConfigError listing every wrong key of ``path``."""
    lines = [f"{path}: the configuration is not valid:"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and its section)"
        elif item["type"] == "missing":
            message = "missing: this key is required"
        lines.append(f"  - {key}: {message}")
    return ConfigError("\n".join(lines))
