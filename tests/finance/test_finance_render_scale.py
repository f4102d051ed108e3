"""The forecast table of a series priced below 1 shows its prices at the series' scale.

Before: every price had two decimals, so a 0.0418 close read "0.04" for p10, p50, p90 and each baseline,
and the adaptive band "day 1 0.04..0.04".
"""

from __future__ import annotations

import pytest

from carrousel.finance.cli._render import render_forecast


def _doc(close: float) -> dict:  # type: ignore[type-arg]
    rows = [
        {
            "date": "2019-01-02",
            "step": 1,
            "change_pct": 0.3,
            "quantiles": {"p10": close * 0.98, "p50": close * 1.003, "p90": close * 1.02},
        }
    ]
    forecast = {
        "ticker": "PENNY", "last_date": "2018-12-31", "last_close": close, "rows": rows, "notes": [],
        "others": {"random_walk": [close]}, "aci": [{"p10": close * 0.97, "p90": close * 1.03}],
    }  # fmt: skip
    data = {
        "label": "CSV file penny.csv",
        "source": "csv",
        "first_date": "2014-03-27",
        "last_date": "2018-12-31",
    }
    return {"model": "lstm", "reused_bundle": False, "data": [data], "forecasts": [forecast]}


def test_prices_below_one_keep_their_digits(capsys: pytest.CaptureFixture[str]) -> None:
    render_forecast(_doc(0.04178))
    out = capsys.readouterr().out
    assert "(0.04178)" in out  # the last close
    for price in ("0.04094", "0.04191", "0.04262", "0.04053..0.04303"):  # p10, p50, p90, the ACI band
        assert price in out
    assert "0.04 " not in out and "0.04.." not in out


def test_prices_from_one_up_keep_cents(capsys: pytest.CaptureFixture[str]) -> None:
    render_forecast(_doc(2506.85))
    out = capsys.readouterr().out
    assert "(2506.85)" in out and "2514.37" in out and "2431.64..2582.06" in out
