"""End-to-end forecast, the saved bundle, and its reuse without retraining."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import carrousel.finance.pipeline as pipeline_mod
from carrousel.core.errors import BundleError
from carrousel.core.provenance import run_provenance
from carrousel.finance.calendar import get_calendar
from carrousel.finance.config import FinanceConfig
from carrousel.finance.errors import ForecasterBundleError
from carrousel.finance.pipeline import ForecasterBundle, backtest, forecast


def test_forecast_saves_a_bundle_that_reproduces_it_without_training(
    sample_source: Path,
    tmp_path: Path,
    tiny_config: Callable[..., FinanceConfig],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    result = forecast(cfg, model_dir=tmp_path / "model", out_dir=tmp_path / "run")
    assert not result.reused and result.scoreboard is not None
    assert [f.ticker for f in result.forecasts] == ["AAPL", "MSFT"]
    cal = get_calendar("XNYS")
    for fc in result.forecasts:
        assert fc.last_date == "2010-12-31" and fc.source == "sample"
        assert [r.date for r in fc.rows] == ["2011-01-03", "2011-01-04", "2011-01-05"]
        assert all(cal.is_session(pd.Timestamp(r.date)) for r in fc.rows)
        for r in fc.rows:
            qs = list(r.quantiles.values())
            assert qs == sorted(qs) and r.quantiles["p50"] == pytest.approx(r.median)
            assert 0.5 * fc.last_close < r.median < 1.5 * fc.last_close
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    assert doc["sample_data"] is True and "beats random walk" in doc["verdict"]
    assert {s["model"] for s in doc["backtest"]["scores"]} >= {
        "lstm",
        "random_walk",
        "drift",
        "zero_return",
        "arima",
    }

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved bundle must not be retrained")

    monkeypatch.setattr(pipeline_mod, "fit_at", no_training)
    monkeypatch.setattr(pipeline_mod, "run_backtest", no_training)
    again = forecast(cfg, model_dir=tmp_path / "model", out_dir=tmp_path / "again")
    assert again.reused and again.scoreboard == result.scoreboard
    saved = json.loads((tmp_path / "again" / "run.json").read_text())  # --out is honoured on reuse too
    assert (
        saved["reused_bundle"] is True
        and saved["forecasts"] == json.loads(json.dumps(again.to_dict()))["forecasts"]
    )
    for a, b in zip(result.forecasts, again.forecasts, strict=True):
        np.testing.assert_allclose([r.median for r in a.rows], [r.median for r in b.rows], rtol=1e-6)
        assert not any("changed" in n for n in b.notes)
    # reusing the bundle on an earlier origin: the model has seen that origin's future, and says so
    earlier = forecast(replace(cfg, data=replace(cfg.data, end="2010-06-30")), model_dir=tmp_path / "model")
    assert earlier.reused and earlier.forecasts[0].last_date == "2010-06-30"
    assert any(n.startswith("look-ahead") and "2010-12-31" in n for n in earlier.forecasts[0].notes)

    bundle = ForecasterBundle.from_pretrained(tmp_path / "model")
    assert set(bundle.data) == {"AAPL", "MSFT"} and bundle.fitted.offsets.shape == (3, 3)
    assert len(bundle.data["AAPL"]["sha256"]) == 64


def test_bad_bundle_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ForecasterBundleError, match="cannot load"):
        ForecasterBundle.from_pretrained(tmp_path)


def test_tampered_scaler_is_a_bundle_error(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config()
    cfg = replace(cfg, backtest=replace(cfg.backtest, enabled=False))
    forecast(cfg, model_dir=tmp_path / "m")
    manifest = tmp_path / "m" / "bundle.json"
    doc = json.loads(manifest.read_text())
    assert doc["kind"] == "finance.forecaster" and doc["module"] == "finance_forecaster_ensemble"
    for bad in (0.0, -1.0):
        doc["assets"]["scalers"]["AAPL"]["std"][2] = bad
        manifest.write_text(json.dumps(doc))
        with pytest.raises(BundleError, match="scaler of AAPL holds a zero, negative or non-finite"):
            ForecasterBundle.from_pretrained(tmp_path / "m")
    horizon = doc["assets"]["config"]["window"]["horizon"]
    doc["assets"]["config"]["window"]["horizon"] = 4  # settings that do not describe the saved network
    doc["assets"]["scalers"]["AAPL"]["std"][2] = 1.0
    manifest.write_text(json.dumps(doc))
    with pytest.raises(BundleError, match=r"does not match its saved settings; train the model again$"):
        ForecasterBundle.from_pretrained(tmp_path / "m")
    # written by a newer carrousel: retraining with this one cannot help (before: "train the model again")
    manifest.write_text(json.dumps({**doc, "carrousel_version": "99.0"}))
    with pytest.raises(
        BundleError, match=r"upgrade carrousel \(pip install -U carrousel-core carrousel-finance\)$"
    ):
        ForecasterBundle.from_pretrained(tmp_path / "m")
    # a scaler of another shape (incomplete, or another feature count): the same choice (before: "train the
    # model again" whichever carrousel wrote it)
    doc["assets"]["config"]["window"]["horizon"] = horizon  # back to the saved network's settings
    scaler = doc["assets"]["scalers"]["AAPL"]
    for bad, say in (({"ret_std": None}, "is incomplete"), ({"std": [1.0], "mean": [0.0]}, "has 1 features")):
        doc["assets"]["scalers"]["AAPL"] = {**scaler, **bad}
        for written, fix in (
            ("99.0", r"upgrade carrousel \(pip install .*\)$"),
            (None, "; train the model again$"),
        ):
            manifest.write_text(json.dumps({**doc, "carrousel_version": written or doc["carrousel_version"]}))
            with pytest.raises(BundleError, match=f"the scaler of AAPL {say}.*{fix}"):
                ForecasterBundle.from_pretrained(tmp_path / "m")


def test_python_api_writes_the_same_files_as_the_cli(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    from typer.testing import CliRunner

    from carrousel.finance.cli import app

    cfg = tiny_config()
    api = forecast(cfg, out_dir=tmp_path / "api")
    flags = ["--horizon", "3", "--lookback", "10", "--hidden", "8", "--epochs", "2", "--test-days", "40"]
    flags += ["--refit-every", "20", "--members", "2"]
    toml = tmp_path / "rest.toml"  # the tiny config's settings that have no flag
    toml.write_text(
        "[data]\nmin_history = 100\n\n[train]\nbatch_size = 128\nmax_windows = 400\npatience = 2\n"
        "\n[backtest]\nauto_baselines = false\n"
    )
    args = [
        "forecast",
        "AAPL",
        "--source",
        "sample",
        *flags,
        "--config",
        str(toml),
        "--out",
        str(tmp_path / "cli"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    def files(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    assert (
        files(tmp_path / "api")
        == files(tmp_path / "cli")
        == [
            "fan_AAPL.png",
            "forecasts.csv",
            "model/arrays.safetensors",
            "model/bundle.json",
            "model/model.safetensors",
            "run.json",
        ]
    )
    for name in ("model/model.safetensors", "model/arrays.safetensors"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    docs = [json.loads((tmp_path / run / "run.json").read_text()) for run in ("api", "cli")]
    assert docs[0]["plots"] == [str(tmp_path / "api" / "fan_AAPL.png")]
    expected = json.loads(json.dumps({**api.to_dict(), **run_provenance()}))  # run.json: and who wrote it
    for doc in (*docs, expected):
        del doc["plots"], doc["bundle"]
    assert docs[0] == docs[1] == expected


def test_backtest_writes_every_forecast_as_a_long_table(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    run = backtest(cfg, out_dir=tmp_path / "bt")
    table = pd.read_csv(tmp_path / "bt" / "forecasts.csv")
    assert list(table.columns) == ["unique_id", "cutoff", "ds", "model", "step", "p10", "p50", "p90", "y"]
    bt = run.result
    n, horizon = bt.actual.shape
    assert len(table) == n * horizon * len(bt.forecasts) and set(table["model"]) == set(bt.forecasts)
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()
    assert (pd.to_datetime(table["ds"]) > pd.to_datetime(table["cutoff"])).all()
    i = 7  # one window by hand: the network's median at step 2 and the outcome, in prices
    row = table[(table["model"] == "lstm") & (table["cutoff"] == str(bt.dates[i].date()))]
    row = row[(row["unique_id"] == bt.tickers[i]) & (row["step"] == 2)].iloc[0]
    assert row["p50"] == pytest.approx(bt.base_price[i] * np.exp(bt.forecasts["lstm"][i, 1, 1]), rel=1e-9)
    assert row["y"] == pytest.approx(bt.base_price[i] * np.exp(bt.actual[i, 1]), rel=1e-9)
    rw = table[table["model"] == "random_walk"]  # the MAE of the table is the scoreboard's
    mae = np.abs(rw["p50"] - rw["y"]).mean()
    assert mae == pytest.approx(run.scoreboard.get("random_walk").mae, rel=1e-6)
