"""Which desk keys are live and what they read: the pure rules behind buttons and key bar."""

from __future__ import annotations

import pytest

from counter.desk import Action
from counter.desk_flows import FLOW_KEYS
from counter.desk_rules import (
    BUTTONS,
    KEYS,
    action_word,
    enabled,
    key_word,
    state_hint,
    state_target,
    transfer_choices,
    usable,
)
from queue_api.schema import Branch, CounterState, Service
from tests.counter.desks import desk, ticket


def service(id: str, *, open: bool = True) -> Service:
    return Service(
        id=id,
        prefix=id[0].upper(),
        name={"es": id.capitalize()},
        priority_allowed=False,
        open=open,
        target_wait_minutes=10,
    )


def test_every_button_has_an_f_key_and_a_letter_of_its_own():
    # The flows that ask something first (call from the list, bring back) have a letter only.
    flows = {action for _, action in FLOW_KEYS}
    assert set(KEYS) == set(BUTTONS) == set(Action) - flows
    keys = [key for pair in KEYS.values() for key in pair] + [key for key, _ in FLOW_KEYS]
    assert len(keys) == len(set(keys))
    assert [KEYS[action][0] for action in BUTTONS] == [f"f{n}" for n in range(1, 10)]


def test_usable_needs_the_server_and_a_token_that_fits_or_is_not_known_yet():
    assert usable(True, True)
    assert usable(True, None)  # a server without /whoami: the first answer will tell
    assert not usable(True, False)
    assert not usable(False, True)
    assert not usable(None, True)  # before the first answer


def test_nothing_is_enabled_offline_or_before_the_counter_is_known():
    assert enabled(desk(), online=False) == set()
    assert enabled(None, online=True) == set()


def test_an_empty_open_desk_enables_next_pause_and_close():
    assert enabled(desk(), online=True) == {Action.NEXT, Action.PAUSE_RESUME, Action.CLOSE}


def test_a_called_ticket_enables_its_actions_but_not_pause_or_close():
    assert enabled(desk(current=ticket()), online=True) == {
        Action.NEXT,
        Action.RECALL,
        Action.START,
        Action.FINISH,
        Action.NO_SHOW,
        Action.TRANSFER,
    }


def test_a_closed_desk_enables_next_and_open():
    assert enabled(desk(CounterState.CLOSED), online=True) == {Action.NEXT, Action.OPEN}


@pytest.mark.parametrize(
    ("state", "word"),
    [
        (CounterState.OPEN, "action.pause"),
        (CounterState.PAUSED, "action.resume"),
        (CounterState.CLOSED, "action.pause"),
    ],
)
def test_pause_reads_resume_on_a_paused_desk_on_button_and_key_bar(state, word):
    assert action_word(Action.PAUSE_RESUME, desk(state)) == word
    assert key_word(Action.PAUSE_RESUME, desk(state)) == word


def test_other_actions_read_their_own_words():
    assert action_word(Action.NO_SHOW, None) == "action.no_show"
    assert key_word(Action.NO_SHOW, None) == "key.no_show"


@pytest.mark.parametrize(
    ("action", "state", "target"),
    [
        (Action.PAUSE_RESUME, CounterState.OPEN, "pause"),
        (Action.PAUSE_RESUME, CounterState.PAUSED, "open"),
        (Action.CLOSE, CounterState.OPEN, "close"),
        (Action.OPEN, CounterState.CLOSED, "open"),
    ],
)
def test_state_actions_ask_for_their_target_state(action, state, target):
    assert state_target(action, desk(state)) == target


def test_only_a_paused_or_closed_desk_has_a_hint():
    assert state_hint(None) is None
    assert state_hint(desk()) is None
    assert state_hint(desk(CounterState.PAUSED)) == "state.hint.paused"
    assert state_hint(desk(CounterState.CLOSED)) == "state.hint.closed"


def test_a_ticket_moves_only_to_other_open_services_named_in_the_screens_language():
    branch = Branch(
        id="centro",
        name="Centro",
        services=[service("licencias"), service("registro"), service("pasaportes", open=False)],
        counters=[],
    )
    names = {"registro": "Registro civil"}
    assert transfer_choices(branch, names, ticket()) == [("registro", "Registro civil")]
    assert transfer_choices(None, names, ticket()) == []
