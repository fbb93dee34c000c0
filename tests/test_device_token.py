"""Whether a token fits a counter terminal's device file (shared by the counter and diag)."""

from __future__ import annotations

import pytest

from device.config import token_acts_on, token_scope
from queue_api.schema import TokenInfo


@pytest.mark.parametrize(
    ("who", "fits"),
    [
        (TokenInfo(device="v1", role="counter", branch="centro", counter="1"), True),
        (TokenInfo(device="admin", role="admin"), True),
        (TokenInfo(device="v2", role="counter", branch="centro", counter="2"), False),
        (TokenInfo(device="n1", role="counter", branch="norte", counter="1"), False),
        (TokenInfo(device="tv", role="display", branch="centro"), False),
        (TokenInfo(device="k", role="kiosk", branch="centro"), False),
    ],
)
def test_only_its_own_counter_token_or_an_admin_acts_on_a_counter(who: TokenInfo, fits: bool):
    assert token_acts_on(who, "centro", "1") is fits


def test_scope_in_a_few_words():
    assert token_scope(TokenInfo(device="v2", role="counter", branch="centro", counter="2")) == (
        "counter @ centro/2"
    )
    assert token_scope(TokenInfo(device="admin", role="admin")) == "admin @ *"
