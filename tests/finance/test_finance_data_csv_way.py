"""``--data`` refuses intraday bars and duplicate dates that ``finance forecast|backtest --csv`` reads (a day's
bars combined into one, a repeated date's last row kept): on the command line the refusal names ``--csv`` as
the way (before: only "give one row per series and date"); from Python the line stays without flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.errors import FrameError
from carrousel.finance.frame_check import validate_frame
from tests.cli_harness import Outcome, assert_clean_failure

_DAYS = [str(d.date()) for d in pd.bdate_range("2010-01-04", periods=40)]
_HOURLY = [f"{d} {h}" for d in _DAYS for h in ("10:00", "15:00")]
_TABLES = {
    "intraday": (_HOURLY, "combines a day's bars into one daily bar"),
    "duplicate": ([*_DAYS, _DAYS[5]], "keeps each date's last row, with a warning"),
}


@pytest.mark.parametrize("kind", list(_TABLES))
def test_the_data_refusal_names_csv(invoke: Any, tmp_path: Path, kind: str) -> None:
    dates, what = _TABLES[kind]
    path = tmp_path / "prices.csv"
    frame = pd.DataFrame({"unique_id": "A", "ds": dates, "y": [100.0 + i for i in range(len(dates))]})
    frame.to_csv(path, index=False)
    outcome: Outcome = invoke(
        "finance", "train-global", "--data", str(path), "--model-dir", str(tmp_path / "m")
    )
    assert_clean_failure(outcome, 1, f"or read the file with finance forecast|backtest --csv, which {what}")
    with pytest.raises(FrameError) as caught:  # from Python: no flag named
        validate_frame(frame)
    assert "--csv" not in str(caught.value)


@pytest.mark.parametrize("kind", list(_TABLES))
def test_the_csv_way_is_named_once_for_many_bad_series(invoke: Any, tmp_path: Path, kind: str) -> None:
    """Every series of the table refused alike: one line, naming the first series and ``--csv`` once."""
    dates, what = _TABLES[kind]
    path = tmp_path / "prices.csv"
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": dates, "y": 100.0 + np.arange(len(dates))}) for uid in "ABC"
    ]
    pd.concat(parts).to_csv(path, index=False)
    outcome: Outcome = invoke(
        "finance", "train-global", "--data", str(path), "--model-dir", str(tmp_path / "m")
    )
    assert_clean_failure(outcome, 1, "series A ")
    assert outcome.stderr.count("--csv") == 1 and what in outcome.stderr and "series B" not in outcome.stderr
