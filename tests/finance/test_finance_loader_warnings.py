"""The price loaders behind ``finance forecast A B C`` and ``finance backtest`` (``load_histories``) warn
about many tickers as a DataFrame's series are warned about: the first five tickers named, the rest counted
in one more line; before, each ticker logged its own close-only and calendar warnings."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_histories

TICKERS = [f"T{i}" for i in range(8)]  # XNYS set: with the default "auto" each is dated on 24/7, unwarned
CLOSES_ALONE = "closes alone"
CALENDAR = "XNYS is closed"


def _close_only_every_day(path: Path) -> Path:
    """Eight close-only series with a row every calendar day (crypto's calendar, not XNYS's)."""
    days = pd.date_range("2015-01-01", periods=420, freq="D")
    rng = np.random.default_rng(0)
    rows = [
        pd.DataFrame(
            {"ticker": t, "date": days, "close": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days.size)))}
        )
        for t in TICKERS
    ]
    pd.concat(rows).to_csv(path, index=False)
    return path


def _lines(messages: list[str], marker: str) -> list[str]:
    return [m for m in messages if marker in m]


def test_many_tickers_name_five_and_count_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    csv = _close_only_every_day(tmp_path / "p.csv")
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        histories = load_histories(
            DataConfig(tickers=tuple(TICKERS), source="csv", csv_path=str(csv), calendar="XNYS")
        )
    assert [h.ticker for h in histories] == TICKERS
    messages = [r.getMessage() for r in caplog.records]
    for marker, more in [
        (CLOSES_ALONE, "3 more series have no open/high/low"),
        (CALENDAR, "3 more series fall"),
    ]:
        lines = _lines(messages, marker)
        assert len(lines) == 6, lines  # before: 8, one per ticker
        assert [line.split(":")[0] for line in lines[:5]] == TICKERS[:5]
        assert lines[5].startswith(more), lines[5]


def test_one_ticker_still_gets_its_own_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    csv = _close_only_every_day(tmp_path / "p.csv")
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        load_histories(DataConfig(tickers=("T3",), source="csv", csv_path=str(csv), calendar="XNYS"))
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(":")[0] for m in _lines(messages, CLOSES_ALONE) + _lines(messages, CALENDAR)] == [
        "T3",
        "T3",
    ]


def test_backtest_cli_of_many_tickers_counts_the_rest(tmp_path: Path) -> None:
    csv = _close_only_every_day(tmp_path / "p.csv")
    tiny = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--test-days", "20",
            "--refit-every", "20", "--members", "1"]  # fmt: skip
    res = CliRunner().invoke(
        app, ["backtest", *TICKERS, "--csv", str(csv), *tiny, "--calendar", "XNYS", "--json"]
    )
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())  # the log handler wraps long lines
    assert "3 more series have no open/high/low" in err and "3 more series fall on days" in err
    assert "T5: the prices have" not in err and "T7: 420 of" not in err


def test_auto_dates_them_on_every_day_without_calendar_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    csv = _close_only_every_day(tmp_path / "p.csv")
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        load_histories(DataConfig(tickers=tuple(TICKERS), source="csv", csv_path=str(csv)))
    messages = [r.getMessage() for r in caplog.records]
    assert not _lines(messages, "closed") and len(_lines(messages, CLOSES_ALONE)) == 6
