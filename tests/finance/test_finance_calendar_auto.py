"""``calendar = "auto"`` (the default): each series' exchange calendar from its Yahoo symbol or its dates.

Before, every series was dated on XNYS sessions unless a TOML file said otherwise: ``finance forecast 7203.T``
labelled its forecasts with US sessions (Tokyo's holidays as trading days), a crypto series got Monday for
what the network took as Saturday, and the fix was a config file (no flag).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import carrousel.finance.calendar_pick as pick
from carrousel.finance.calendar import get_calendar
from carrousel.finance.calendar_pick import CANDIDATES, INDICES, SUFFIXES, resolve_calendar, ticker_calendar
from carrousel.finance.cli import app
from carrousel.finance.config import (
    BacktestConfig,
    DataConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
)
from carrousel.finance.errors import CalendarNotFoundError
from carrousel.finance.frames import Forecaster


def _sessions(code: str, start: str, n: int) -> pd.DatetimeIndex:
    cal = get_calendar(code, 2020)
    return pd.DatetimeIndex(cal.sessions_window(pd.Timestamp(start), n)).tz_localize(None)


@pytest.mark.parametrize(
    ("symbol", "code"),
    [
        ("7203.T", "XTKS"), ("SAP.DE", "XETR"), ("VOD.L", "XLON"), ("RY.TO", "XTSE"), ("0700.HK", "XHKG"),
        ("BHP.AX", "XASX"), ("BTC-USD", "24/7"), ("eth-eur", "24/7"), ("EURUSD=X", "24/5"),
        ("^N225", "XTKS"), ("^FTSE", "XLON"), ("^GDAXI", "XETR"), ("AAPL.US", "XNYS"), ("VOD.UK", "XLON"),
        ("AAPL", None), ("^GSPC", None), ("BRK-B", None), ("BF.B", None), ("ES=F", None),
    ],
)  # fmt: skip
def test_the_symbol_names_its_calendar(symbol: str, code: str | None) -> None:
    assert ticker_calendar(symbol) == code


def test_every_named_calendar_is_one_exchange_calendars_knows() -> None:
    known = set(xcals.get_calendar_names(include_aliases=True))
    named = set(SUFFIXES.values()) | set(INDICES.values()) | set(CANDIDATES)
    assert named <= known, sorted(named - known)


@pytest.mark.parametrize("code", ["XNYS", "XLON", "XTKS", "XETR", "24/7", "24/5"])
def test_the_dates_name_the_calendar_they_keep(code: str) -> None:
    """No symbol to go by (a CSV named BTC or VOD): the calendar whose sessions the dates keep, where XNYS
    (a London stock's dates keep it within the warning thresholds) or 24/5 would see gaps."""
    dates = _sessions(code, "2015-01-05", 900)
    assert resolve_calendar("SERIES", dates) == code


def test_us_data_with_a_few_gaps_stays_on_xnys() -> None:
    dates = _sessions("XNYS", "2015-01-05", 900)
    gappy = dates.delete([100, 101, 400, 650, 651, 652])  # missing rows are the data's gaps, not a calendar
    assert resolve_calendar("X", gappy) == "XNYS"
    assert resolve_calendar("X", pd.DatetimeIndex([])) == "XNYS"


def test_a_setting_is_used_as_given() -> None:
    dates = _sessions("24/7", "2015-01-05", 300)
    assert resolve_calendar("BTC-USD", dates, "XNYS") == "XNYS"
    assert resolve_calendar("7203.T", dates, "24/5") == "24/5"


def test_a_calendar_that_cannot_be_built_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """XSHG records its holidays only a few years ahead: the symbol's calendar is then left for the dates'."""
    real = pick.get_calendar

    def refuse(name: str, last_year: int | None = None) -> object:
        if name == "XTKS":
            raise CalendarNotFoundError("exchange calendar 'XTKS' cannot be built")
        return real(name, last_year)

    pick._calendar_days.cache_clear()
    monkeypatch.setattr(pick, "get_calendar", refuse)
    try:
        assert resolve_calendar("7203.T", _sessions("XNYS", "2015-01-05", 400)) == "XNYS"
        assert resolve_calendar("7203.T", _sessions("24/7", "2015-01-05", 400)) == "24/7"
    finally:
        pick._calendar_days.cache_clear()


def _tokyo_csv(path: Path, raw: pd.DataFrame) -> Path:
    """The sample's rows dated on Tokyo sessions, the last the Friday before Respect for the Aged Day
    (Monday 17 September 2018, a Japanese holiday, a US trading day)."""
    days = _sessions("XTKS", "2015-01-05", 2000)
    days = days[days <= "2018-09-14"][-len(raw) :]
    frame = raw.tail(len(days)).drop(columns=["adj_close"], errors="ignore")
    frame.index = pd.DatetimeIndex(days, name="Date")
    frame.columns = [c.title() for c in frame.columns]
    frame.to_csv(path)
    return path


_TINY = ["--epochs", "1", "--hidden", "4", "--lookback", "10", "--horizon", "3", "--members", "1",
         "--no-backtest", "--json"]  # fmt: skip


def _forecast(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["forecast", *args, *_TINY])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return doc["forecasts"][0]  # type: ignore[no-any-return]


def test_forecast_of_a_tokyo_symbol_is_dated_on_tokyo_sessions(
    tmp_path: Path, raw_aapl: pd.DataFrame
) -> None:
    path = _tokyo_csv(tmp_path / "toyota.csv", raw_aapl)
    fc = _forecast("7203.T", "--csv", str(path))
    assert fc["calendar"] == "XTKS"
    assert [r["date"] for r in fc["rows"]] == ["2018-09-18", "2018-09-19", "2018-09-20"]  # type: ignore[index]
    fc = _forecast("TOYOTA", "--csv", str(path))  # no suffix: the dates keep XTKS
    assert fc["calendar"] == "XTKS"
    fc = _forecast("7203.T", "--csv", str(path), "--calendar", "xnys")  # the flag wins (before: a TOML file)
    assert fc["calendar"] == "XNYS"
    assert [r["date"] for r in fc["rows"]] == ["2018-09-17", "2018-09-18", "2018-09-19"]  # type: ignore[index]


def test_an_unknown_calendar_flag_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["forecast", "AAPL", "--source", "sample", "--calendar", "NOPE"])
    assert result.exit_code == 2
    assert "unknown exchange calendar 'NOPE'" in result.output
    assert "Traceback" not in result.output


def test_a_dataframe_of_a_coin_is_forecast_on_every_day_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Forecaster.fit with the default DataConfig: a series with a row every day (BTC) is dated on 24/7, a
    stock in the same frame on XNYS; before, both on XNYS and a warning for the coin."""
    rng = np.random.default_rng(0)
    coin = pd.date_range("2011-01-01", periods=400, freq="D")
    stock = _sessions("XNYS", "2011-01-03", 300)
    frame = pd.concat(
        [
            pd.DataFrame(
                {"unique_id": name, "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(ds))))}
            )
            for name, ds in (("BTC", coin), ("IBM", stock))
        ],
        ignore_index=True,
    )
    cfg = FinanceConfig(
        data=DataConfig(),  # calendar "auto"
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=1, patience=1, max_windows=100),
        backtest=BacktestConfig(auto_baselines=False),
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        model = Forecaster.fit(frame, cfg)
        pred = model.predict(frame)
    assert not [r for r in caplog.records if "closed" in r.getMessage()]
    ds = {uid: list(g["ds"].dt.strftime("%Y-%m-%d")) for uid, g in pred.groupby("unique_id")}
    assert ds["BTC"] == ["2012-02-05", "2012-02-06", "2012-02-07"]  # 4 February 2012 was a Saturday
    last = stock[-1]
    assert ds["IBM"] == [str(d.date()) for d in _sessions("XNYS", str(last.date()), 4)[1:]]
    model.bundle.save(tmp_path / "m")  # finance predict --calendar XNYS: the saved setting overridden
    again = Forecaster.from_pretrained(tmp_path / "m", calendar="XNYS").predict(frame)
    coin_days = list(again[again["unique_id"] == "BTC"]["ds"].dt.strftime("%Y-%m-%d"))
    assert coin_days == ["2012-02-06", "2012-02-07", "2012-02-08"]


def test_history_from_1962_is_checked_from_1970() -> None:
    """IBM's full history starts in 1962, the S&P 500's in 1927. Calendars were built from 1980: first every
    earlier row counted as a row on a closed day (11,092 weekday rows from 1962: '4904 of 11092 rows (44%) fall
    on days XNYS is closed'), then the rows before 1980 were left unchecked. Exchange calendars now begin in
    1970 (exchange_calendars' holidays do): the rows from 1970 are checked, those before are not."""
    from carrousel.finance.calendar import gap_warnings

    early = pd.bdate_range("1962-01-02", "1979-12-31")  # every weekday: XNYS's holidays of the 1970s too
    dates = early.append(_sessions("XNYS", "1980-01-02", 6000))
    checked = early[early >= "1970-01-02"]  # XNYS's first session: 1 January 1970 is not checked
    closed = int((~checked.isin(_sessions("XNYS", "1970-01-02", 2600))).sum())
    assert closed == 81  # the 1970s' weekday holidays and closures (Truman's funeral, the 1977 blackout...)
    assert resolve_calendar("IBM", dates) == "XNYS"
    note, warnings = gap_warnings("IBM", dates, "XNYS")
    assert note == f"{closed} row(s) on days XNYS was closed; returns span the gaps" and warnings == []
    real = early[early.year < 1970].append(_sessions("XNYS", "1970-01-02", 9000))
    assert resolve_calendar("IBM", real) == "XNYS" and gap_warnings("IBM", real, "XNYS") == (None, [])
