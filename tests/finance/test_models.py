"""Forecaster networks: shapes, non-crossing quantiles, and a real learning test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from carrousel.finance.config import FinanceConfig, ModelConfig, WindowConfig
from carrousel.finance.features import build_series, cumulative_targets, valid_origins
from carrousel.finance.models import build_forecaster
from carrousel.finance.training import fit_at


@pytest.mark.parametrize("arch", ["lstm", "gru", "bilstm"])
def test_shapes_and_ordered_quantiles(arch: str, device: torch.device) -> None:
    model = build_forecaster(
        ModelConfig(arch=arch, quantiles=(0.05, 0.25, 0.75, 0.95)), WindowConfig(horizon=4)
    ).to(device)
    out = model(torch.randn(7, 12, 5, device=device))
    assert out.shape == (7, 4, 5)
    assert torch.all(out[..., 1:] >= out[..., :-1])


def _ar_frame(n: int = 1500, phi: float = 0.7, seed: int = 0) -> pd.DataFrame:
    """Prices whose daily log returns follow an AR(1): a random walk cannot use that, a model can."""
    rng = np.random.default_rng(seed)
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = phi * r[t - 1] + rng.normal(0, 0.01)
    close = 50 * np.exp(np.cumsum(r))
    prev = np.concatenate([[close[0]], close[:-1]])
    idx = pd.bdate_range("2001-01-01", periods=n)
    return pd.DataFrame(
        {"open": prev, "high": np.maximum(prev, close) * 1.002, "low": np.minimum(prev, close) * 0.998,
         "close": close, "volume": rng.integers(1_000_000, 2_000_000, n).astype(float)},
        index=idx,
    )  # fmt: skip


def test_network_learns_predictable_returns(tiny_config: Callable[..., FinanceConfig]) -> None:
    """On AR(1) returns (phi 0.7) the network's median beats the random walk by a wide margin.

    The best possible MAE ratio to the random walk here is about 0.78 (the AR(1) conditional mean).
    """
    s = build_series("SYN", _ar_frame())
    cfg = tiny_config(("SYN",))
    cfg = replace(
        cfg, train=replace(cfg.train, epochs=8, max_windows=1200), model=replace(cfg.model, hidden_size=16)
    )
    cut = 1200
    fitted = fit_at([s], {"SYN": cut}, cfg)
    assert fitted.history[-1]["train_loss"] < fitted.history[0]["train_loss"]
    origins = valid_origins(s, 10, 3)
    origins = origins[origins > cut]
    y = cumulative_targets(s, origins, 3)
    pred = fitted.predict(s, origins)[..., 1]
    model_mae, rw_mae = np.abs(pred - y).mean(), np.abs(y).mean()
    assert model_mae < 0.9 * rw_mae, (model_mae, rw_mae)
