"""Erlang C (``queue_api.staffing``) against published values, and the plan built on it.

Sources of the expected figures:
- Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
  (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in 30
  minutes with a 180 s handling time is A = 10 Erlangs; with 11 agents the probability of
  waiting is 68.21 % and 39 % are answered within 20 s; 12, 13, 14 and 15 agents give
  64 %, 80 %, 89 % and 94 % within 20 s (its table of agents against service level).
- Mitan Ltd, "The Erlang-C Formula" (http://www.mitan.co.uk/erlang/elgcmath.htm): 360 calls per
  half hour of 240 s with 55 agents and a 15 s target: probability of waiting 0.2387, mean
  wait ("average speed of answer") 8.2 s, service level 84.6 %.
"""

from __future__ import annotations

import math

import pytest

from queue_api import staffing


@pytest.mark.parametrize(
    ("agents", "within_20s"), [(11, 0.39), (12, 0.64), (13, 0.80), (14, 0.89), (15, 0.94)]
)
def test_service_level_of_ten_erlangs_matches_the_published_table(
    agents: int, within_20s: float
) -> None:
    assert staffing.service_level(agents, 10.0, 20, 180) == pytest.approx(within_20s, abs=0.005)


def test_probability_of_waiting_of_ten_erlangs_on_eleven_agents() -> None:
    assert staffing.erlang_c(11, 10.0) == pytest.approx(0.6821, abs=0.00005)


def test_the_mitan_worked_example() -> None:
    erlangs = 360 * 240 / 1800
    assert erlangs == 48
    assert staffing.erlang_c(55, erlangs) == pytest.approx(0.2387, abs=0.00005)
    assert staffing.mean_wait_seconds(55, erlangs, 240) == pytest.approx(8.2, abs=0.05)
    assert staffing.service_level(55, erlangs, 15, 240) == pytest.approx(0.846, abs=0.0005)


def test_overload_and_no_load() -> None:
    assert staffing.erlang_c(10, 10.0) == 1.0
    assert staffing.service_level(9, 10.0, 20, 180) == 0.0
    assert math.isinf(staffing.mean_wait_seconds(10, 12.0, 180))
    assert staffing.erlang_c(3, 0.0) == 0.0
    assert staffing.counters_needed(0, 300, 600) == 0


def test_counters_needed_is_the_fewest_that_reach_the_level() -> None:
    # 10 Erlangs as above: 13 agents reach 80 % within 20 s (79.6 %: not quite), 14 do.
    needed = staffing.counters_needed(200, 180, 20)
    assert needed == 14
    assert staffing.service_level(needed - 1, 10.0, 20, 180) < staffing.SERVICE_LEVEL
    # A quiet hour still needs one desk; a desk of its own is plenty for a long target.
    assert staffing.counters_needed(1, 300, 900) == 1


def test_a_plan_hour_says_its_load_and_level() -> None:
    plan = staffing.plan_hour(9, "licencias", 24, 600, 20 * 60)
    assert plan.erlangs == 4.0
    assert plan.counters >= 5
    assert plan.service_level >= staffing.SERVICE_LEVEL


def test_hourly_means_over_days() -> None:
    days = [[0] * 24, [0] * 24]
    days[0][9], days[1][9] = 10, 20
    means = staffing.hourly_means(days)
    assert means[9] == 15 and sum(means) == 15
    assert staffing.hourly_means([]) == [0.0] * 24


def test_advice_when_the_estimate_passes_the_target() -> None:
    assert (
        staffing.advice("Licencias", waiting=12, ewt_seconds=42 * 60 - 30, target_minutes=20)
        == "open one more desk for Licencias: EWT 42 min, target 20"
    )
    assert staffing.advice("Licencias", waiting=3, ewt_seconds=20 * 60, target_minutes=20) is None
    assert staffing.advice("Licencias", waiting=0, ewt_seconds=None, target_minutes=20) is None
