"""Fitting through the core Trainer: loaders, loss falling, thread count restored."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from carrousel.core.nn.heads import SequenceRegressor, pinball_loss
from carrousel.core.train import predict
from carrousel.finance.config import ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.models import forecaster_config
from carrousel.finance.training import PREDICT_BATCH, fit_forecaster, window_loader


def predict_quantiles(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    return predict(model, x, PREDICT_BATCH)


def test_loader_yields_dict_batches() -> None:
    x, y = np.zeros((10, 4, 2), np.float32), np.arange(30, dtype=np.float32).reshape(10, 3)
    batches = list(window_loader(x, y, batch_size=4, shuffle=False))
    assert [b["x"].shape[0] for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b["y"] for b in batches]), torch.from_numpy(y))


def test_fit_lowers_the_pinball_loss_and_restores_threads() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8, 3)).astype(np.float32)
    y = np.repeat(x[:, -1, :1] * 2.0, 2, axis=1) + rng.normal(0, 0.1, (600, 2)).astype(np.float32)
    net = forecaster_config(ModelConfig(hidden_size=16, dropout=0.0), WindowConfig(horizon=2))
    model = SequenceRegressor(replace(net, encoder=replace(net.encoder, input_size=3)))  # 3 synthetic inputs
    qs = (0.1, 0.5, 0.9)
    untrained = pinball_loss(
        torch.from_numpy(predict_quantiles(model, x[500:])), torch.from_numpy(y[500:]), qs
    )
    before = torch.get_num_threads()
    settings = TrainSettings(epochs=8, batch_size=32)
    result = fit_forecaster(model, (x[:500], y[:500]), (x[500:], y[500:]), qs, settings)
    assert torch.get_num_threads() == before
    assert result.best_score is not None and result.best_score < 0.3 * float(untrained)
    pred = predict_quantiles(model, x[500:])
    assert pred.shape == (100, 2, 3) and np.abs(pred[..., 1] - y[500:]).mean() < 0.3 * np.abs(y[500:]).mean()


def test_bf16_fits_under_autocast_learns_and_keeps_float32_weights() -> None:
    """``TrainSettings(precision="bf16")`` fits under bf16 autocast (the same seed gives another loss path
    than fp32: before, the setting reached only the forecasts) and still learns as fp32 does: the held-out
    pinball loss under 0.3x the untrained one, weights float32."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8, 3)).astype(np.float32)
    y = np.repeat(x[:, -1, :1] * 2.0, 2, axis=1) + rng.normal(0, 0.1, (600, 2)).astype(np.float32)
    net = forecaster_config(ModelConfig(hidden_size=16, dropout=0.0), WindowConfig(horizon=2))
    qs = (0.1, 0.5, 0.9)
    results, models = {}, {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        models[precision] = SequenceRegressor(replace(net, encoder=replace(net.encoder, input_size=3)))
        settings = TrainSettings(epochs=6, batch_size=32, precision=precision)
        results[precision] = fit_forecaster(
            models[precision], (x[:500], y[:500]), (x[500:], y[500:]), qs, settings
        )
    torch.manual_seed(0)
    untrained = SequenceRegressor(replace(net, encoder=replace(net.encoder, input_size=3)))
    base = pinball_loss(
        torch.from_numpy(predict_quantiles(untrained, x[500:])), torch.from_numpy(y[500:]), qs
    )
    losses = {p: [h["train_loss"] for h in r.history] for p, r in results.items()}
    assert losses["bf16"] != losses["fp32"]  # autocast ran in the fit
    best = results["bf16"].best_score
    assert best is not None and best < 0.3 * float(base), (best, float(base))
    assert best == pytest.approx(results["fp32"].best_score, rel=0.1)
    assert all(p.dtype == torch.float32 for p in models["bf16"].parameters())


def test_a_member_label_reads_before_the_epoch_in_one_bar_and_its_log_lines(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``fit_forecaster(label="member 2/3")`` with the bar on (train-global's members): the bar reads
    ``member 2/3, epoch 1/2`` and the epoch log lines ``member 2/3, epoch 1: ...``, as when finance turned
    the Trainer's own bar off and added a labelled one; now the Trainer's bar carries the label, once."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 3)).astype(np.float32)
    y = rng.normal(size=(64, 2)).astype(np.float32)
    net = forecaster_config(ModelConfig(hidden_size=4, dropout=0.0), WindowConfig(horizon=2))
    model = SequenceRegressor(replace(net, encoder=replace(net.encoder, input_size=3)))
    settings = TrainSettings(epochs=2, batch_size=32, progress=True)
    with caplog.at_level("INFO", logger="carrousel"):
        fit_forecaster(
            model, (x[:48], y[:48]), (x[48:], y[48:]), (0.1, 0.5, 0.9), settings, label="member 2/3"
        )
    err = capsys.readouterr().err
    assert "member 2/3, epoch 1/2" in err and "member 2/3, epoch 2/2" in err
    assert err.count("epoch 1/2") == err.count("member 2/3, epoch 1/2")  # no second, unlabelled bar
    epochs = [r.getMessage().split(":")[0] for r in caplog.records if ", epoch " in r.getMessage()]
    assert epochs == ["member 2/3, epoch 1", "member 2/3, epoch 2"]
