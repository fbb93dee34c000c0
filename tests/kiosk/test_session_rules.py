"""The citizen's session rules, without an app: a fake clock the tests move by hand."""

from __future__ import annotations

from itertools import count

from kiosk.session import HOME, ISSUING, PRIORITY, TECHNICIAN, TICKET, Session
from queue_api.schema import Service


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def service(id: str, *, priority: bool) -> Service:
    return Service(
        id=id,
        name={"es": id},
        prefix="A",
        priority_allowed=priority,
        open=True,
        target_wait_minutes=20,
    )


def session(clock: Clock, default_language: str = "es") -> Session:
    keys = (f"key-{n}" for n in count(1))
    return Session(
        clock,
        tap_guard=1.0,
        idle=30.0,
        default_language=default_language,
        make_key=lambda: next(keys),
    )


def test_a_service_with_priority_asks_first_one_without_does_not() -> None:
    rules = session(Clock())
    assert not rules.choose(service("pagos", priority=False))
    assert rules.step == HOME and rules.chosen is None
    assert rules.choose(service("licencias", priority=True))
    assert rules.step == PRIORITY and rules.chosen is not None


def test_the_tap_guard_ignores_an_answer_right_after_the_question() -> None:
    clock = Clock()
    rules = session(clock)
    rules.choose(service("licencias", priority=True))
    clock.now += 0.5
    assert not rules.can_answer()  # the second half of the tap that chose the service
    clock.now += 0.6
    assert rules.can_answer()


def test_a_press_keeps_its_key_until_the_server_answers() -> None:
    rules = session(Clock())
    pagos = service("pagos", priority=False)
    assert rules.start_issue(pagos, False) == "key-1"
    assert rules.step == ISSUING
    assert rules.start_issue(pagos, False) is None  # a double tap: one press only
    rules.issue_done()
    assert rules.start_issue(pagos, False) == "key-1"  # lost in transit: the same key again
    assert rules.start_issue(pagos, True) is None
    rules.issue_done()
    assert rules.start_issue(pagos, True) == "key-2"  # another press, another key
    rules.issued("key-1")
    assert rules.keys == {("pagos", True): "key-2"}


def test_a_new_press_clears_the_last_problem() -> None:
    rules = session(Clock())
    rules.problem = "issue.too_fast"
    rules.start_issue(service("pagos", priority=False), False)
    assert rules.problem == ""


def test_going_home_keeps_the_citizen_ending_the_session_forgets_them() -> None:
    rules = session(Clock(), default_language="es")
    rules.language = "en"
    rules.choose(service("licencias", priority=True))
    rules.start_issue(service("pagos", priority=False), False)
    rules.problem = "issue.failed"
    rules.go_home(end_session=False)
    assert rules.step == HOME and rules.chosen is None
    assert rules.language == "en" and rules.keys and rules.problem
    rules.go_home(end_session=True)
    assert rules.language == "es" and rules.keys == {} and rules.problem == ""


def test_idle_ends_a_session_only_when_something_of_it_is_left() -> None:
    clock = Clock()
    rules = session(clock)
    clock.now += 31
    assert not rules.idle_due()  # home, default language, nothing kept: nothing to end
    rules.language = "en"
    assert rules.idle_due()
    rules.touched()
    clock.now += 29
    assert not rules.idle_due()  # touched within the idle time
    clock.now += 1
    assert rules.idle_due()


def test_idle_waits_for_a_ticket_on_its_way_and_ends_any_other_step() -> None:
    clock = Clock()
    rules = session(clock)
    rules.start_issue(service("pagos", priority=False), False)
    clock.now += 60
    assert not rules.idle_due()  # the ticket's own timer ends that session
    rules.issue_done()
    for step in (PRIORITY, TICKET, TECHNICIAN):
        rules.show(step)
        assert rules.idle_due()
