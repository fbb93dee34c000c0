"""The one wording of an estimated wait range (queue_api.i18n.wait_range), in both languages."""

from __future__ import annotations

import pytest

from queue_api.i18n import Words, range_minutes, wait_range


@pytest.mark.parametrize(
    ("low", "high", "minutes"),
    [
        (0, 100, (0, 5)),  # anything short reads "under 5 min"
        (100, 300, (0, 5)),
        (200, 400, (0, 10)),
        (420, 800, (5, 15)),  # widened outwards to steps of 5
        (600, 900, (10, 15)),
        (900, 900, (15, 20)),  # never an empty range
        (3000, 4000, (50, 70)),  # past an hour, steps of 10
        (5000, 9000, (60, 150)),  # past two hours, steps of 30
    ],
)
def test_ranges_sit_on_a_grid_read_at_a_glance(
    low: float, high: float, minutes: tuple[int, int]
) -> None:
    assert range_minutes(low, high) == minutes
    # On the grid already: the same again (the server's range is what the paper prints).
    assert range_minutes(minutes[0] * 60, minutes[1] * 60) == minutes


@pytest.mark.parametrize(
    ("low", "high", "spanish", "english"),
    [
        (0, 200, "menos de 5 min", "under 5 min"),
        (0, 900, "menos de 15 min", "under 15 min"),
        (600, 900, "10-15 min", "10-15 min"),
        (3000, 4000, "50-70 min", "50-70 min"),
        (7200, 10800, "2-3 h", "2-3 h"),
        (5400, 9000, "1,5-2,5 h", "1.5-2.5 h"),
    ],
)
def test_a_range_reads_in_spanish_and_english(
    low: int, high: int, spanish: str, english: str
) -> None:
    assert wait_range(low, high, "es") == spanish
    assert wait_range(low, high, "en") == english


def test_without_a_range_the_single_figure_shows() -> None:
    assert Words("es").wait_range(None, 150) == "3 min"
    assert Words("en").wait_range((600, 900), 700) == "10-15 min"
    assert Words("es").wait_range(None, None) == "sin estimación"
