"""The DataFrame API (``unique_id, ds, y``): validation at the edge, predict, cross-validation, the README."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.backtest import forecast_table, run_backtest
from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.errors import FrameError
from carrousel.finance.features import build_series
from carrousel.finance.frames import Forecaster, cross_validation, to_frame, validate_frame
from carrousel.finance.pipeline import ForecasterBundle, forecast

README = Path(__file__).resolve().parents[2] / "packages" / "finance" / "README.md"


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": ["A", "B", "A", "B"], "ds": ["2010-01-04", "2010-01-04", "2010-01-05", "2010-01-05"],
         "y": [10.0, 20.0, 10.5, 19.5]}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda df: df.drop(columns=["ds", "y"]), "lacks column(s) ds, y"),
        (lambda df: df.iloc[:0], "no rows"),
        (lambda df: df.assign(ds=["2010-01-04", "2010-01-04", "2010-01-04", "2010-01-05"]),
         "series A has duplicate dates (first 2010-01-04)"),
        (lambda df: pd.concat([df, df.iloc[[0]]]), "series A has duplicate dates (first 2010-01-04)"),
        (lambda df: df.assign(y=[10.0, np.nan, 10.5, 19.5]), "column y has 1 missing, non-numeric or infinite"),
        (lambda df: df.assign(y=[10.0, 20.0, np.inf, 19.5]), "(first: series A on 2010-01-05)"),
        (lambda df: df.assign(y=[10.0, 20.0, -1.0, 19.5]), "prices must be positive"),
        (lambda df: df.assign(ds=["x", "2010-01-04", "2010-01-05", "2010-01-05"]), "not dates"),
        (lambda df: df.to_numpy(), "expected a pandas DataFrame"),
        (lambda df: pd.DataFrame({"unique_id": "W", "ds": pd.date_range("2010-01-01", periods=60, freq="W-FRI"),
                                  "y": np.linspace(10, 20, 60)}),
         "series W's rows are 5 weekdays apart (median): weekly bars"),  # was forecast as daily sessions
    ],
)  # fmt: skip
def test_a_malformed_frame_is_one_clear_error(change: Callable[[pd.DataFrame], object], needle: str) -> None:
    with pytest.raises(FrameError) as caught:
        validate_frame(change(_frame()))
    message = str(caught.value)
    assert needle in message and "\n" not in message


def test_a_duplicate_row_out_of_date_order_is_the_duplicate_error_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A row repeated at the end of a frame (``pd.concat([df, df.iloc[[k]]])``): before, a warning that the rows
    "were not in date order: sorted by date", as if the frame were taken, then the duplicate-dates error."""
    df = pd.concat([_frame(), _frame().iloc[[0]]], ignore_index=True)  # A's 2010-01-04 again, after 01-05
    with (
        caplog.at_level("WARNING", logger="carrousel.finance.frame_check"),
        pytest.raises(FrameError, match=r"series A has duplicate dates \(first 2010-01-04\)"),
    ):
        validate_frame(df)
    assert not caplog.records, caplog.text


def test_validate_frame_keeps_interleaved_series_and_types_the_columns() -> None:
    out = validate_frame(_frame().assign(extra=1, volume=[1, 2, 3, 4]))
    assert list(out.columns) == ["unique_id", "ds", "y", "volume"]
    assert out["ds"].dtype.kind == "M" and out["y"].dtype == np.float64


def test_predict_many_series_from_a_frame_matches_the_bundle(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    forecast(replace(cfg, backtest=replace(cfg.backtest, enabled=False)), model_dir=tmp_path / "m")
    histories = load_histories(cfg.data)
    df = to_frame(histories)
    assert list(df.columns) == ["unique_id", "ds", "y", "open", "high", "low", "volume"]
    model = Forecaster.from_pretrained(tmp_path / "m")
    shuffled = df.sort_values(["ds", "unique_id"], kind="stable")  # series interleaved: still one per id
    pred = model.predict(shuffled, h=2)
    assert list(pred.columns) == ["unique_id", "ds", "p10", "p50", "p90"]
    assert pred["unique_id"].tolist() == ["AAPL", "AAPL", "MSFT", "MSFT"]
    assert pred["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2011-01-03", "2011-01-04"] * 2
    bundle = ForecasterBundle.from_pretrained(tmp_path / "m")
    for history in histories:
        rows = bundle(history).rows[:2]
        mine = pred[pred["unique_id"] == history.ticker]
        np.testing.assert_allclose(mine["p50"], [r.median for r in rows], rtol=1e-12)
        np.testing.assert_allclose(mine["p90"], [r.quantiles["p90"] for r in rows], rtol=1e-12)
    assert len(model.predict(df)) == 2 * cfg.window.horizon
    with pytest.raises(FrameError, match=r"h=4 is outside 1\.\.3"):
        model.predict(df, h=4)
    short = df[df["unique_id"] == "MSFT"].tail(5).assign(unique_id="NEW")  # skipped beside longer series
    assert model.predict(pd.concat([df, short])).attrs["skipped"][0]["unique_id"] == "NEW"
    with pytest.raises(FrameError, match="series NEW has 5 row"):
        model.predict(short)
    bare = df[["unique_id", "ds", "y"]]  # y only: the other inputs at their training means, still finite
    plain = model.predict(bare)
    values = plain[["p10", "p50", "p90"]].to_numpy()
    assert np.isfinite(values).all() and (np.diff(values, axis=1) >= 0).all()


def test_cross_validation_of_a_frame_is_the_pipeline_backtest(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    histories = load_histories(cfg.data)
    cv = cross_validation(to_frame(histories), cfg)
    assert list(cv.columns) == ["unique_id", "cutoff", "ds", "model", "step", "p10", "p50", "p90", "y"]
    assert cv["cutoff"].dtype.kind == "M" and (cv["ds"] > cv["cutoff"]).all()
    want = forecast_table(run_backtest([build_series(h.ticker, h.frame) for h in histories], cfg))
    got = cv.assign(cutoff=cv["cutoff"].dt.strftime("%Y-%m-%d"), ds=cv["ds"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)  # bit for bit: same data, same seed


def test_fit_on_a_y_only_frame_saves_a_model_that_loads_and_predicts_the_same(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    df = to_frame(load_histories(cfg.data))[["unique_id", "ds", "y"]]
    model = Forecaster.fit(df, cfg)
    model.save(tmp_path / "m")
    again = Forecaster.from_pretrained(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(df), again.predict(df))


def test_the_readme_dataframe_example_runs(
    sample_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    (code,) = [b for b in blocks if "carrousel.finance.frames" in b]
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), scope)  # the committed slice stands in for the sample data
    pred, cv = scope["pred"], scope["cv"]
    cols = ["unique_id", "ds", "p10", "p50", "p90", "p10_aci", "p90_aci"]  # _aci: the fit's state continued
    assert isinstance(pred, pd.DataFrame) and list(pred.columns) == cols
    assert set(pred["unique_id"]) == {"AAPL", "MSFT"} and np.isfinite(pred[cols[2:]].to_numpy()).all()
    assert isinstance(cv, pd.DataFrame) and {"cutoff", "model", "step"} <= set(cv.columns)
