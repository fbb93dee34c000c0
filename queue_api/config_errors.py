"""Turn validation errors into messages an operator can act on: file, key, what was expected."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

PATTERNS = {
    r"^[A-Z]{1,2}$": "one or two capital letters, like A or LC",
    r"^[a-z0-9][a-z0-9_-]{0,63}$": "a lowercase id of letters, digits, - and _, like centro",
    r"^[0-9a-f]{64}$": "64 lowercase hex digits: the output of `sha256sum` on the token",
}
"""Words for the patterns of the server's file, instead of the regular expressions."""


class ConfigError(Exception):
    """A configuration file is missing or wrong; the message names the file, the key and the fix."""


def read_toml(path: Path, missing_hint: str = "") -> dict[str, Any]:
    """The TOML table of ``path``; a missing, unreadable or malformed file is a ConfigError."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found{missing_hint}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        # A folder, or a file the service user may not read: words, not a traceback.
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None


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
        elif item["type"] == "string_pattern_mismatch":
            pattern = (item.get("ctx") or {}).get("pattern", "")
            message = f"expected {PATTERNS[pattern]}" if pattern in PATTERNS else message
        elif item["type"] == "value_error":
            # pydantic prefixes our validators' sentences with "Value error, ".
            message = message.removeprefix("Value error, ")
        lines.append(f"  - {key}: {message}")
    return ConfigError("\n".join(lines))
