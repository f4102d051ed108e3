"""The global model over many series: lazy windows (bit-identical, memory bounded), sampling across series,
held-out accuracy against stated baselines, a bundle that forecasts its series and new ones, the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from carrousel.finance.config import (
    BacktestConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
)
from carrousel.finance.errors import FrameError
from carrousel.finance.features import build_series, training_windows
from carrousel.finance.frames import Forecaster, frame_series, read_frame
from carrousel.finance.models import build_forecaster
from carrousel.finance.multiseries import train_global
from carrousel.finance.panel import panel_loader, panel_windows
from carrousel.finance.training import fit_forecaster
from tests.cli_harness import assert_training_outputs


def ar_panel(n: int, rows: int, seed: int = 0, phi: float = 0.5, prefix: str = "S") -> pd.DataFrame:
    """``n`` series whose log returns are AR(1) with coefficient ``phi`` (predictable: the random walk is
    beatable), each with its own price level (5-500) and volatility (0.5%-4% a day), so one network can only
    serve them all through per-series scaling."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("2010-01-04", periods=rows)
    parts = []
    for i in range(n):
        sigma = rng.uniform(0.005, 0.04)
        e = rng.standard_normal(rows) * sigma
        r = np.zeros(rows)
        for t in range(1, rows):
            r[t] = phi * r[t - 1] + e[t]
        y = rng.uniform(5, 500) * np.exp(np.cumsum(r))
        parts.append(pd.DataFrame({"unique_id": f"{prefix}{i:03d}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def tiny_global_toml(hidden: int = 8, members: int = 1, epochs: int = 1) -> str:
    """A ``finance train-global --config`` file for a tiny run: lookback 10, horizon 3, ``hidden`` units,
    ``members`` networks, ``epochs`` epochs."""
    return (
        f"[window]\nlookback = 10\nhorizon = 3\n[model]\nhidden_size = {hidden}\nmembers = {members}\n"
        f"[train]\nepochs = {epochs}\n"
    )


def saved_global_model(folder: Path, df: pd.DataFrame) -> tuple[Path, Path]:
    """``df`` written to ``folder/panel.csv`` and a tiny global model trained on it (lookback 10, horizon 3,
    8 units, one epoch) saved to ``folder/m``: (table, model folder)."""
    df.to_csv(folder / "panel.csv", index=False)
    cfg = FinanceConfig(
        window=WindowConfig(lookback=10, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=replace(TrainSettings(epochs=1), progress=False),
        backtest=BacktestConfig(auto_baselines=False),
    )
    train_global(df, cfg).bundle.save(folder / "m")
    return folder / "panel.csv", folder / "m"


def _cfg(**train: object) -> FinanceConfig:
    return FinanceConfig(
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=16, members=1),
        train=TrainSettings(epochs=4, patience=4, **train),  # type: ignore[arg-type]
        backtest=BacktestConfig(auto_baselines=False),
    )


def test_lazy_panel_trains_bit_identically_to_materialised_windows_in_a_tenth_of_the_memory(
    stocks_csv: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    from carrousel.finance.data import load_histories

    cfg = replace(tiny_config(("AAPL", "MSFT"), "csv", csv_path=str(stocks_csv)), window=WindowConfig(30, 3))
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]
    cuts = {s.ticker: len(s.close) - 60 for s in series}
    eager, lazy = training_windows(series, cuts, cfg), panel_windows(series, cuts, cfg)
    assert np.array_equal(lazy.train.windows(np.arange(len(lazy.train))), eager.x_train)
    assert np.array_equal(lazy.val.windows(np.arange(len(lazy.val))), eager.x_val)
    assert np.array_equal(lazy.y_val, eager.y_val)
    assert lazy.train.nbytes * 10 < lazy.train.materialised_nbytes()  # L=30 windows of 5 features
    nets = []
    for train, val in (((eager.x_train, eager.y_train), (eager.x_val, eager.y_val)), (lazy.train, lazy.val)):
        torch.manual_seed(0)
        net = build_forecaster(cfg.model, cfg.window)
        fit_forecaster(net, train, val, cfg.model.quantiles, cfg.train)
        nets.append(net.state_dict())
    assert all(torch.equal(nets[0][k], nets[1][k]) for k in nets[0])


def test_series_sampling_draws_every_series_equally_often() -> None:
    long, short = ar_panel(1, 1200, seed=1, prefix="L"), ar_panel(3, 150, seed=2)
    cfg = _cfg(max_windows=5000)
    _, series = frame_series(pd.concat([long, short]), cfg)
    panel = panel_windows(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    counts = np.bincount(panel.train.series)
    assert counts[0] > 8 * counts[1:].max()  # the long series dominates the windows
    for sampling, equal in (("series", True), ("windows", False)):
        sampler = panel_loader(panel.train, 256, True, 0, sampling).sampler
        drawn = panel.train.series[np.concatenate([np.asarray(rows) for rows in sampler])]
        assert len(drawn) == len(panel.train)  # an epoch has as many draws either way
        share = np.bincount(drawn, minlength=4) / len(drawn)
        assert bool(np.abs(share - 0.25).max() < 0.05) == equal, (sampling, share)


def test_global_model_learns_and_beats_the_random_walk_on_held_out_days(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    res = train_global(ar_panel(24, 420), _cfg(), holdout_days=100)
    losses = [h["train_loss"] for h in res.history]
    assert res.series == 24 and losses[-1] < 0.9 * losses[0]
    summary = res.summary()
    net, rw = summary["network"], summary["random_walk"]
    assert net["rel_mae"] < 0.95 and net["pinball"] < 0.95 * rw["pinball"]
    beats = [s["network"].pinball < s["random_walk"].pinball for s in res.holdout.values()]
    assert sum(beats) >= 22, beats  # on (nearly) every series, not on average only
    assert 0.7 < net["coverage"] < 0.9
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert doc["holdout"]["S000"]["network"]["rel_mae"] == pytest.approx(
        res.holdout["S000"]["network"].rel_mae
    )
    assert doc["store_mb"] * 5 < doc["materialised_mb"]
    # per series: DM tests of the pinball loss per origin, both sides, counted in the summary
    s0 = res.holdout["S000"]
    assert s0["network"].better_p is None and 0 <= s0["random_walk"].better_p <= 1
    assert s0["random_walk"].better_p + s0["random_walk"].worse_p == pytest.approx(1.0)  # the two tails
    sig = [s["random_walk"].better_p < 0.05 for s in res.holdout.values()]
    assert summary["random_walk"]["network_better_series"] == sum(sig) >= 18  # AR(1): clearly beatable
    assert summary["random_walk"]["network_worse_series"] == 0


def test_a_saved_global_bundle_forecasts_its_series_and_a_new_one(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    df = ar_panel(12, 300)
    train_global(df, _cfg()).bundle.save(tmp_path / "m")
    model = Forecaster.from_pretrained(tmp_path / "m")
    new = ar_panel(1, 300, seed=9).assign(unique_id="NEW")  # never trained on: scaled with its own history
    calm = new.assign(unique_id="CALM", y=new["y"].iloc[0] * np.exp(np.log(new["y"] / new["y"].iloc[0]) / 10))
    pred = model.predict(pd.concat([df[df["unique_id"].isin(["S000", "S005"])], new, calm]))
    assert list(pred["unique_id"].unique()) == ["S000", "S005", "NEW", "CALM"] and len(pred) == 4 * 3
    width = (pred["p90"] - pred["p10"]) / pred["p50"]
    by = width.groupby(pred["unique_id"]).mean()
    assert 6 < by["NEW"] / by["CALM"] < 15  # its interval follows its own volatility (10x the calm copy's)


def test_read_frame_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match="no such file"):
        read_frame(tmp_path / "missing.csv")
    # a folder was 'no such file' too (is_file() was the only check), a FIFO as well, an empty file pandas'
    # 'No columns to parse from file'
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "empty.csv").write_bytes(b"")
    for name, needle in (("folder", "is a folder"), ("fifo", "is a FIFO"), ("empty.csv", "is empty")):
        with pytest.raises(FrameError, match=needle):
            read_frame(tmp_path / name)
    (tmp_path / "blank.txt").write_text(
        "  \n\n \t\n"
    )  # was 'cannot read ... (No columns to parse from file)'
    with pytest.raises(FrameError, match=r"blank\.txt holds no rows or columns \(blank lines only\); give"):
        read_frame(tmp_path / "blank.txt")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FrameError, match="lacks column"):
        read_frame(tmp_path / "bad.csv")
    with pytest.raises(FrameError, match="holdout_days=-1"):
        train_global(ar_panel(2, 100), _cfg(), holdout_days=-1)


def test_cli_train_global_and_predict(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from carrousel.finance.cli import app

    ar_panel(6, 260).rename(columns={"y": "Y", "ds": "DS"}).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(
        "[window]\nlookback = 20\nhorizon = 3\n[model]\nhidden_size = 8\nmembers = 1\n[train]\nepochs = 3\n"
    )
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["train-global", "--data", str(tmp_path / "panel.csv"), "--model-dir", str(tmp_path / "m"),
         "--holdout-days", "60", "--sampling", "series", "--config", str(tmp_path / "run.toml"), "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["series"] == 6 and doc["sampling"] == "series" and doc["epochs"] == 3
    assert set(doc["holdout"]) == {f"S{i:03d}" for i in range(6)}
    assert doc["last_train_loss"] < doc["first_train_loss"]
    assert doc["aci_series"] == 6  # each series' adaptive conformal state is saved with the model
    assert_training_outputs(tmp_path / "m", 3)  # history.csv and training.png beside the bundle
    saved = Forecaster.from_pretrained(tmp_path / "m").bundle.data["S000"]
    assert saved["last"] == str(
        pd.bdate_range("2010-01-04", periods=260)[-61].date()
    )  # trained up to the cut
    out = runner.invoke(
        app,
        ["predict", "--data", str(tmp_path / "panel.csv"), "--model-dir", str(tmp_path / "m"),
         "-o", str(tmp_path / "pred.csv"), "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    pred = pd.read_csv(tmp_path / "pred.csv")
    cols = ["unique_id", "ds", "p10", "p50", "p90", "p10_aci", "p90_aci"]  # _aci: the state continued
    assert len(pred) == 6 * 3 and list(pred.columns) == cols
    assert np.isfinite(pred[cols[2:]].to_numpy()).all()
    doc = json.loads(out.stdout)
    assert doc["rows"][0]["p50"] == pytest.approx(pred["p50"][0])
    assert doc["rows"][0]["p90_aci"] == pytest.approx(pred["p90_aci"][0])
    assert doc["aci"] == {"step": 0.005, "series": [f"S{i:03d}" for i in range(6)]}  # the config's step
    out = runner.invoke(
        app, ["predict", "--data", str(tmp_path / "panel.csv"), "--model-dir", str(tmp_path / "m")]
    )
    assert out.exit_code == 0 and "p90_aci" in out.stdout and "adaptive conformal" in out.stdout, out.output
    # a header-only table: 'the frame has no rows; ...' named no file (before); now both commands that read
    # --data name it, in one line
    header = tmp_path / "header_only.csv"
    header.write_text("unique_id,ds,y\n")
    for cmd in (
        ["predict", "--model-dir", str(tmp_path / "m")],
        ["train-global", "--model-dir", str(tmp_path / "n")],
    ):
        out = runner.invoke(app, [*cmd, "--data", str(header)])
        lines = out.stderr.strip().splitlines()
        assert out.exit_code == 1 and len(lines) == 1, out.output
        assert f"{header}: the frame has no rows; give one row per series and date" in lines[0], lines
    with pytest.raises(FrameError, match=r"header_only\.csv: the frame has no rows"):
        read_frame(header)


def test_predict_table_shows_prices_with_two_decimals_and_whole_dates(tmp_path: Path) -> None:
    """``finance predict``'s table printed every price with ``.4g``: a 60,000 price (BTC-USD) read
    ``6.012e+04`` and 173.82 ``173.8``, and on an 80-column pipe the dates were cut (``2013-03-…``). Now two
    decimals, as ``finance forecast`` prints them, and whole dates."""
    from typer.testing import CliRunner

    from carrousel.finance.cli import app

    panel = ar_panel(2, 200)
    panel["y"] = panel["y"] / panel.groupby("unique_id")["y"].transform("last") * 60_123.45
    panel.to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(
        "[window]\nlookback = 10\nhorizon = 2\n[model]\nhidden_size = 4\nmembers = 1\n[train]\nepochs = 1\n"
    )
    runner = CliRunner()
    data, model = ["--data", str(tmp_path / "panel.csv")], ["--model-dir", str(tmp_path / "m")]
    out = runner.invoke(app, ["train-global", *data, *model, "--config", str(tmp_path / "run.toml"), "-q"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["predict", *data, *model], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    pred = json.loads(runner.invoke(app, ["predict", *data, *model, "--json"]).stdout)["rows"]
    assert "e+0" not in out.stdout and f"{pred[0]['p50']:.2f}" in out.stdout, out.stdout
    assert all(r["ds"] in out.stdout for r in pred), out.stdout
