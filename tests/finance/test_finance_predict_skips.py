"""``Forecaster.predict`` and ``finance predict`` on a table whose series are not all long enough for the model:
the long ones are forecast, the short ones skipped (one warning line, ``attrs["skipped"]``, the JSON's
``skipped``), and only a table with no series long enough is an error."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.errors import FrameError
from carrousel.finance.frames import Forecaster
from tests.cli_harness import Outcome, assert_clean_failure

NEED = 21  # lookback 20 and the return before it


def _panel(names: list[str], rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("2010-01-04", periods=rows)
    return pd.concat(
        [
            pd.DataFrame({"unique_id": n, "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))})
            for n in names
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Forecaster, Path]:
    cfg = FinanceConfig(
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=1, patience=1, max_windows=200),
        backtest=BacktestConfig(auto_baselines=False),
    )
    fitted = Forecaster.fit(_panel(["L0", "L1"], 260), cfg)
    folder = tmp_path_factory.mktemp("skips") / "m"
    fitted.save(folder)
    return fitted, folder


def _mixed() -> pd.DataFrame:
    """Two long series between seven short ones (5 to 20 rows: one short of what the model reads)."""
    short = [_panel([f"S{i}"], rows, seed=i + 1) for i, rows in enumerate((5, 8, 10, 12, 15, 18, 20))]
    return pd.concat([short[0], _panel(["L0", "L1"], 120), *short[1:]], ignore_index=True)


def test_predict_forecasts_the_long_series_and_names_the_short_ones_in_one_warning(
    model: tuple[Forecaster, Path], caplog: pytest.LogCaptureFixture
) -> None:
    forecaster = model[0]
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        pred = forecaster.predict(_mixed())
    # before: FrameError "series S0 has 5 row(s)" for the whole table
    alone = forecaster.predict(_panel(["L0", "L1"], 120))
    pd.testing.assert_frame_equal(pred, alone)  # the same forecasts as without the short series
    assert pred["unique_id"].unique().tolist() == ["L0", "L1"]
    skipped = pred.attrs["skipped"]
    assert [s["unique_id"] for s in skipped] == [f"S{i}" for i in range(7)]
    assert skipped[0] == {"unique_id": "S0", "reason": "too short", "rows": 5, "need": NEED}
    assert [s["rows"] for s in skipped] == [5, 8, 10, 12, 15, 18, 20]
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert lines[0].startswith(
        f"skipped 7 of 9 series, too short for this model (it reads the last {NEED} rows"
    )
    assert "S0 (5 rows), S1 (8 rows), S2 (10 rows), S3 (12 rows), S4 (15 rows) and 2 more" in lines[0]
    assert "S5" not in lines[0] and forecaster.predict(_panel(["L0"], 120)).attrs["skipped"] == []


def test_predict_is_an_error_only_when_no_series_is_long_enough(model: tuple[Forecaster, Path]) -> None:
    forecaster = model[0]
    with pytest.raises(FrameError) as one:
        forecaster.predict(_panel(["S0"], 5))
    assert str(one.value) == (
        f"series S0 has 5 row(s); this model reads the last {NEED} (its lookback and the returns before it): "
        "give it more history"
    )
    with pytest.raises(FrameError) as every:
        forecaster.predict(_mixed().query("unique_id.str.startswith('S')"))
    message = str(every.value)
    assert (
        message.startswith("none of the 7 series is long enough (series S0 has 5 row(s));")
        and "\n" not in message
    )
    assert message.endswith("give them more history")


def test_cli_predict_lists_the_skipped_series_and_fails_in_one_line_when_none_is_left(
    model: tuple[Forecaster, Path], tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    folder = model[1]
    _mixed().to_csv(tmp_path / "mixed.csv", index=False)
    out = invoke("finance", "predict", "--data", tmp_path / "mixed.csv", "--model-dir", folder, "--json")
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert sorted({r["unique_id"] for r in doc["rows"]}) == ["L0", "L1"] and len(doc["rows"]) == 2 * 3
    assert doc["skipped"][6] == {"unique_id": "S6", "reason": "too short", "rows": 20, "need": NEED}
    assert len(doc["skipped"]) == 7 and "skipped 7 of 9 series" in " ".join(out.stderr.split())
    table = invoke("finance", "predict", "--data", tmp_path / "mixed.csv", "--model-dir", folder)
    assert table.code == 0 and "forecasts of 2 series (7 skipped: too short)" in table.stdout, table.stdout
    _mixed().query("unique_id.str.startswith('S')").to_csv(tmp_path / "short.csv", index=False)
    failed = invoke(
        "finance", "predict", "--data", tmp_path / "short.csv", "--model-dir", folder, "--json", "-q"
    )
    assert_clean_failure(failed, 1, "none of the 7 series is long enough")


def test_cli_predict_out_dash_prints_the_csv_alone_on_stdout(
    model: tuple[Forecaster, Path],
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``-o -`` is stdout, as for ``bio scan`` (before: an error asking for a .csv or .parquet name)."""
    monkeypatch.chdir(tmp_path)
    _panel(["L0", "L1"], 120).to_csv(tmp_path / "long.csv", index=False)
    out = invoke("finance", "predict", "--data", tmp_path / "long.csv", "--model-dir", model[1], "-o", "-")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("unique_id,ds,p10,p50,p90") and len(lines) == 1 + 2 * 3  # the CSV, no table
    assert lines[1].startswith("L0,") and not (tmp_path / "-").exists()
    both = invoke(
        "finance", "predict", "--data", tmp_path / "long.csv", "--model-dir", model[1], "-o", "-", "--json"
    )
    assert both.code == 2 and "--json" in both.stderr and not both.stdout
    bad = invoke(
        "finance", "predict", "--data", tmp_path / "long.csv", "--model-dir", model[1], "-o", "f.txt"
    )
    assert_clean_failure(bad, 1, "or - for CSV on stdout")


def test_fit_names_the_series_too_short_to_train_on_and_does_not_record_them_as_trained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = FinanceConfig(
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=1, patience=1, max_windows=200),
        backtest=BacktestConfig(auto_baselines=False),
    )
    panel = pd.concat([_panel(["L0"], 260), _panel(["NEW"], 30, seed=3)], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        fitted = Forecaster.fit(panel, cfg)
    # before: no word, and the bundle recorded NEW's rows as trained on, so a later forecast of NEW read
    # "data changed since the model was trained" instead of "NEW was not in the training data of this model"
    assert list(fitted.bundle.data) == ["L0"] and list(fitted.bundle.fitted.scalers) == ["L0"]
    lines = [r.getMessage() for r in caplog.records if "not trained on" in r.getMessage()]
    assert lines == [
        "trained on 1 of 2 series: 1 too short for a training window at lookback=20 and horizon=3, not trained "
        "on: NEW (30 rows); predict scales such a series with its own history (give it more rows to train on it)"
    ]
    pred = fitted.predict(_panel(["NEW"], 120, seed=3))
    assert pred["unique_id"].unique().tolist() == ["NEW"] and np.isfinite(pred["p50"]).all()


def test_cli_predict_prints_a_series_prices_in_one_format(
    model: tuple[Forecaster, Path], tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """A series closing at 1.0: its band across 1 once printed as ``0.9912`` (``.4g``) and ``1.01`` (``.2f``);
    now every figure of the series has the decimals of ``finance forecast``'s ``price_spec``."""
    panel = _panel(["L0", "L1"], 120)
    panel["y"] = panel["y"] / panel.groupby("unique_id")["y"].transform("last")  # each closes at 1.0
    panel.to_csv(tmp_path / "one.csv", index=False)
    out = invoke("finance", "predict", "--data", tmp_path / "one.csv", "--model-dir", model[1])
    assert out.code == 0, out.stderr
    cells = [
        c.strip()
        for line in out.stdout.splitlines()
        if line.strip("│ ").startswith("L")
        for c in line.split("│")
    ]
    prices = [c for c in cells if c.replace(".", "", 1).isdigit()]
    assert len(prices) >= 2 * 3 * 3 and {len(p.partition(".")[2]) for p in prices} == {2}, out.stdout
