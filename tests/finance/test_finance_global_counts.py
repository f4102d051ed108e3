"""finance train-global's held-out summary counts series: integers in its JSON (``lowest_pinball_series``
was 1.0, ``network_better_series`` 0.0)."""

from __future__ import annotations

import json

from carrousel.finance.multiseries import GlobalResult, SeriesScore


def test_the_summary_counts_are_integers() -> None:
    holdout = {
        "A": {
            "network": SeriesScore(1.0, 0.8, 1.0, 0.9),
            "random_walk": SeriesScore(2.0, 0.8, 1.0, 1.0, 0.01, 0.99),
        },
        "B": {
            "network": SeriesScore(3.0, 0.8, 1.0, 1.1),
            "random_walk": SeriesScore(2.5, 0.8, 1.0, 1.0, 0.7, 0.3),
        },
    }
    res = GlobalResult(None, 2, 10, 2, 0, 0, (), 1.0, holdout=holdout, holdout_days=5)  # type: ignore[arg-type]
    summary = res.summary()
    counts = ("lowest_pinball_series", "network_better_series", "network_worse_series")
    assert {m: [summary[m][k] for k in counts] for m in summary} == {
        "network": [1, 0, 0],
        "random_walk": [1, 1, 0],
    }
    assert all(type(summary[m][k]) is int for m in summary for k in counts)
    assert '"lowest_pinball_series": 1,' in json.dumps(summary)
