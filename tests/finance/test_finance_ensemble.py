"""The seed ensemble: one member is the single network, members are single networks of their seeds, the
quantiles stay ordered, the bundle holds every member, and the scoreboard reports the members' spread."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from carrousel.core.nn.heads import SequenceRegressor
from carrousel.core.train import predict
from carrousel.finance.cli import app
from carrousel.finance.config import FinanceConfig
from carrousel.finance.conformal import scale_calibration
from carrousel.finance.data import load_histories
from carrousel.finance.errors import BundleMismatchError, FinanceConfigError, ForecasterBundleError
from carrousel.finance.features import SeriesData, build_series, training_windows
from carrousel.finance.members import SPREAD_FIGURES
from carrousel.finance.models import build_ensemble, build_forecaster
from carrousel.finance.pipeline import ForecasterBundle, backtest, forecast, saved_config
from carrousel.finance.training import (
    PREDICT_BATCH,
    FittedForecaster,
    ensemble_and_members,
    fit_at,
    fit_forecaster,
)
from tests.state_dicts import same_state


def _members(cfg: FinanceConfig, n: int, seed: int = 0) -> FinanceConfig:
    return replace(cfg, model=replace(cfg.model, members=n), train=replace(cfg.train, seed=seed))


def _series(cfg: FinanceConfig) -> list[SeriesData]:
    return [build_series(h.ticker, h.frame, cfg.window.indicators) for h in load_histories(cfg.data)]


def _single(
    series: list[SeriesData], cuts: dict[str, int], cfg: FinanceConfig, seed: int
) -> tuple[SequenceRegressor, np.ndarray]:
    """Today's single-network path, written out: seed, build, fit, the default calibration (the spread's
    log-multipliers) on held-out windows."""
    data = training_windows(series, cuts, cfg)
    torch.manual_seed(seed)
    net = build_forecaster(cfg.model, cfg.window)
    xy_val = (data.x_val, data.y_val)
    fit_forecaster(
        net, (data.x_train, data.y_train), xy_val, cfg.model.quantiles, replace(cfg.train, seed=seed)
    )
    net.eval()
    return net, scale_calibration(predict(net, data.x_val, PREDICT_BATCH), data.y_val, cfg.model.quantiles)


def test_members_are_the_single_networks_of_their_seeds(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))  # the networks alone: the GARCH combination has its own test
    cfg = replace(cfg, backtest=replace(cfg.backtest, garch_weight=0.0))
    series = _series(cfg)
    cuts = {s.ticker: len(s.close) - 200 for s in series}
    origins = np.arange(len(series[0].close) - 150, len(series[0].close) - 5)
    net0, off0 = _single(series, cuts, cfg, seed=0)
    net1, off1 = _single(series, cuts, cfg, seed=1)

    one = fit_at(series, cuts, _members(cfg, 1))  # an ensemble of 1 is the single network, bit for bit
    assert one.members == 1 and same_state(one.model.members[0].state_dict(), net0.state_dict())
    assert one.log_scale is not None and np.array_equal(one.log_scale, off0) and not one.offsets.any()
    assert not np.array_equal(off0, np.zeros_like(off0))  # a real calibration, not the identity
    alone = FittedForecaster(  # the seed-0 network
        build_ensemble([net0], 0), one.scalers, np.zeros_like(off0), cfg.window, log_scale=off0
    )
    assert np.array_equal(one.predict(series[0], origins), alone.predict(series[0], origins))

    three = fit_at(series, cuts, _members(cfg, 3))  # member i = the single network of seed i
    assert same_state(three.model.members[0].state_dict(), net0.state_dict())
    assert same_state(three.model.members[1].state_dict(), net1.state_dict())
    assert three.member_log_scale is not None
    assert np.array_equal(three.member_log_scale[0], off0) and np.array_equal(three.member_log_scale[1], off1)
    each = three.predict_members(series[0], origins)
    assert each.shape == (3, len(origins), 3, 3)
    assert np.array_equal(each[0], alone.predict(series[0], origins))

    raw = three.predict(series[0], origins, calibrated=False)  # the mean of the members' quantiles
    assert np.allclose(
        raw, three.predict_members(series[0], origins, calibrated=False).mean(axis=0), atol=1e-6
    )
    assert not np.allclose(raw, each[0], atol=1e-4)  # the members really differ
    q = three.predict(series[0], origins)
    assert np.isfinite(q).all() and (np.diff(q, axis=-1) >= 0).all()  # finite, never crossing
    assert (np.diff(raw, axis=-1) >= 0).all()  # even before the re-sorting calibration does


def test_multi_member_bundle_round_trip(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = _members(
        replace(tiny_config(("AAPL",)), backtest=replace(tiny_config().backtest, enabled=False)), 3
    )
    result = forecast(cfg, model_dir=tmp_path / "m")
    loaded = ForecasterBundle.from_pretrained(tmp_path / "m")
    assert loaded.fitted.members == 3 and loaded.config.model.members == 3
    assert loaded.fitted.member_offsets is not None and loaded.fitted.member_offsets.shape == (3, 3, 3)
    each = loaded.fitted.member_log_scale  # the default calibration's factors travel with the bundle
    assert loaded.fitted.log_scale is not None and each is not None and each.shape == (3, 3, 3)
    history = load_histories(cfg.data)[0]
    assert loaded(history).rows == result.forecasts[0].rows  # the same forecast, from every member
    doc = json.loads((tmp_path / "m" / "bundle.json").read_text())
    assert doc["module"] == "finance_forecaster_ensemble" and doc["config"]["members"] == 3

    core = loaded.to_bundle()  # settings saying 2 members for a 3-member network: refused
    core.assets["config"]["model"]["members"] = 2
    with pytest.raises(ForecasterBundleError, match="does not match its saved settings"):
        ForecasterBundle.from_bundle(core)
    with pytest.raises(
        BundleMismatchError, match=r"members 3, not the members 1 asked for \(members\); drop members"
    ):
        forecast(_members(cfg, 1), model_dir=tmp_path / "m")
    good = loaded.to_bundle()  # a calibration array of the wrong shape is named
    bad = replace(good, arrays={**good.arrays, "member_log_scale": np.zeros((2, 3, 3))})
    with pytest.raises(
        ForecasterBundleError, match=r"member_log_scale .* shape \(2, 3, 3\), not \(3, 3, 3\)"
    ):
        ForecasterBundle.from_bundle(bad)


def test_a_single_network_bundle_saved_before_ensembles_still_loads(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    old_backtest = replace(
        tiny_config().backtest, enabled=False, calibration="offsets"
    )  # the old calibration
    cfg = _members(replace(tiny_config(("AAPL",)), backtest=old_backtest), 1)
    result = forecast(cfg, model_dir=tmp_path / "m")
    core = ForecasterBundle.from_pretrained(tmp_path / "m").to_bundle()
    assert "log_scale" not in core.arrays  # the offsets calibration has no spread multipliers
    old_config = json.loads(json.dumps(core.assets["config"]))
    del old_config["model"]["members"]  # the layout before seed ensembles: one sequence_regressor
    del old_config["backtest"]["calibration"]  # and before the scale calibration
    old = replace(
        core,
        model=core.model.members[0],  # type: ignore[index]
        assets={**core.assets, "config": old_config},
        arrays={"offsets": core.arrays["offsets"]},
    )
    old.save(tmp_path / "old")
    assert json.loads((tmp_path / "old" / "bundle.json").read_text())["module"] == "sequence_regressor"
    assert saved_config(tmp_path / "old").model.members == 1  # type: ignore[union-attr]
    loaded = ForecasterBundle.from_pretrained(tmp_path / "old")
    assert loaded.fitted.members == 1 and loaded.config.model.members == 1
    assert loaded(load_histories(cfg.data)[0]).rows == result.forecasts[0].rows
    again = forecast(cfg, model_dir=tmp_path / "old")  # reused by a run with the same settings
    assert again.reused and again.forecasts[0].rows == result.forecasts[0].rows


def test_scoreboard_reports_each_member_and_their_spread(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    board = backtest(_members(cfg, 3, seed=4)).scoreboard
    assert [m.seed for m in board.members] == [4, 5, 6]
    single = backtest(_members(cfg, 1, seed=5)).scoreboard  # member seed 5 = a single network of seed 5
    assert not single.members and not single.member_spread and "members agree" not in single.verdict
    m5, s5 = board.members[1], single.scores[0]
    assert (m5.rel_mae, m5.mase, m5.pinball, m5.coverage) == (s5.rel_mae, s5.mase, s5.pinball, s5.coverage)
    assert set(board.member_spread) == set(SPREAD_FIGURES)
    for name, spread in board.member_spread.items():
        values = np.array([getattr(m, name) for m in board.members], dtype=np.float64)
        assert spread == pytest.approx({"min": values.min(), "max": values.max(), "std": values.std(ddof=1)})
    assert board.member_spread["pinball"]["std"] > 0  # different seeds, different forecasts
    agree = sum(m.agrees for m in board.members)
    assert board.verdict.endswith(f"; members agree: {agree}/3") and board.verdict.count("\n") == 0
    ours = ("beats random walk: yes" in board.verdict, re.search(r"best baseline \S+: yes", board.verdict))
    for m in board.members:
        assert m.agrees == ((m.beats_random_walk, m.beats_best_baseline) == (ours[0], ours[1] is not None))
    doc = board.to_dict()
    assert json.loads(json.dumps(doc, allow_nan=False))["members"][2]["seed"] == 6


def test_members_option_and_config(sample_source: Path) -> None:
    with pytest.raises(FinanceConfigError, match="members=0"):
        replace(FinanceConfig().model, members=0)
    runner = CliRunner()
    bad = runner.invoke(app, ["backtest", "AAPL", "--source", "sample", "--members", "0"])
    assert bad.exit_code == 2 and "--members" in bad.output
    tiny = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "4", "--test-days", "20"]
    ok = runner.invoke(app, ["backtest", "AAPL", "--source", "sample", *tiny, "--members", "2", "--json"])
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    assert [m["seed"] for m in doc["backtest"]["members"]] == [0, 1]
    assert doc["verdict"].endswith("/2") and set(doc["backtest"]["member_spread"]) == set(SPREAD_FIGURES)


def test_a_yes_needs_most_members() -> None:
    """A "yes" only the ensemble reaches (1 of 3 members) becomes "no", naming the count; a majority keeps it;
    a "no" is never touched."""
    from carrousel.finance.evaluate import Comparison, verdict_text

    drift = Comparison("drift", 1.0, -2.5, 0.01, 0.023)
    line = verdict_text("lstm", 0.035, 0.990, drift)
    assert line == (
        "lstm beats random walk: yes (p=0.035 Holm-adjusted, rel. MAE 0.990); "
        "beats best baseline drift: yes (p=0.023 Holm-adjusted)"
    )
    lone = verdict_text("lstm", 0.035, 0.990, drift, support=(1, 1, 3))
    assert "random walk: no (ensemble alone: 1/3 members)" in lone
    assert "drift: no (ensemble alone: 1/3 members)" in lone and "\n" not in lone
    mixed = verdict_text("lstm", 0.035, 0.990, drift, support=(2, 1, 3))
    assert "random walk: yes (p=0.035" in mixed and "drift: no (ensemble alone: 1/3 members)" in mixed
    weak = Comparison("drift", 1.0, -0.5, 0.3, 0.6)
    no_line = verdict_text("lstm", 0.2, 0.990, weak)
    assert verdict_text("lstm", 0.2, 0.990, weak, support=(3, 3, 3)) == no_line and ": yes" not in no_line


@pytest.mark.parametrize("n", [1, 3])
def test_one_pass_of_the_members_gives_the_ensemble_bit_for_bit(n: int) -> None:
    cfg = _members(FinanceConfig(), n)
    nets = []
    for seed in range(n):
        torch.manual_seed(seed)
        nets.append(build_forecaster(cfg.model, cfg.window).eval())
    model = build_ensemble(nets, 0).eval()
    x = np.random.default_rng(0).normal(size=(PREDICT_BATCH + 77, cfg.window.lookback, 5)).astype(np.float32)
    ensemble, members = ensemble_and_members(model, x)
    np.testing.assert_array_equal(ensemble, predict(model, x, PREDICT_BATCH))  # what fit_at calibrated on
    each = np.stack([predict(m, x, PREDICT_BATCH) for m in nets])
    np.testing.assert_array_equal(members, each)
    assert members.shape == (n, len(x), cfg.window.horizon, len(cfg.model.quantiles))
