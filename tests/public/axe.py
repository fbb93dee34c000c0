"""axe-core, the accessibility engine, run inside a page of headless Chromium.

axe-core's script comes from the ``axe-core-python`` wheel (it bundles ``axe.min.js``), so the
check runs offline, in the real browser the pages are made for.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from tests.display.browser import Page

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""The rules of WCAG 2.1 levels A and AA, as axe-core tags them."""
BLOCKING = {"serious", "critical"}


@cache
def axe_script() -> str:
    """axe.min.js as the wheel ships it."""
    return resources.files("axe_core_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Every rule the page in ``page`` breaks (WCAG 2.1 A and AA by default), each with its
    id, impact, help and the HTML of the nodes that break it."""
    page.send("Runtime.evaluate", expression=axe_script())
    run = (
        "axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})"
        ".then(function (r) { return r.violations.map(function (v) { return {"
        "id: v.id, impact: v.impact, help: v.help,"
        "nodes: v.nodes.map(function (n) { return n.html; })}; }); })"
    ) % (tags or WCAG_AA)
    result = page.send("Runtime.evaluate", expression=run, awaitPromise=True, returnByValue=True)
    if "exceptionDetails" in result:
        raise RuntimeError(f"axe failed: {result['exceptionDetails']}")
    return result["result"]["value"]


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations axe rates serious or critical."""
    return [v for v in violations if v["impact"] in BLOCKING]
