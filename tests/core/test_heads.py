"""Heads, pinball loss and the saveable sequence models: shapes, padding invariance, learning."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.nn import functional as F

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import (
    POOLINGS,
    ClassificationHead,
    QuantileHead,
    RecurrentConfig,
    RegressionHead,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
    mask_from_lengths,
    pinball_loss,
)

LENGTHS = torch.tensor([6, 2, 1, 4, 6])
B, T, I = 5, 6, 3  # noqa: E741


def _repad(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    mask = mask_from_lengths(lengths, x.shape[1], x.device)
    if x.dim() == 3:
        mask = mask.unsqueeze(-1)
    junk = torch.randn_like(x) * 100 if x.is_floating_point() else torch.randint_like(x, 1, 9)
    return torch.where(mask, x, junk)


def test_classification_and_regression_heads() -> None:
    feats = torch.randn(B, 8)
    logits = ClassificationHead(8, 3, dropout=0.5).eval()(feats)
    assert logits.shape == (B, 3)
    reg = RegressionHead(8, 4)
    torch.testing.assert_close(reg(feats), feats @ reg.linear.weight.T + reg.linear.bias)
    with pytest.raises(ConfigError, match="num_classes"):
        ClassificationHead(8, 0)
    with pytest.raises(ConfigError, match="dropout"):
        RegressionHead(8, 1, dropout=1.0)


def test_quantile_head_never_crosses() -> None:
    head = QuantileHead(8, horizon=3, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95))
    torch.nn.init.normal_(head.linear.weight, std=10.0)  # wild weights must still give ordered quantiles
    out = head(torch.randn(200, 8) * 10)
    assert out.shape == (200, 3, 5)
    assert bool((out.diff(dim=-1) >= 0).all())
    for bad in [(), (0.5, 0.1), (0.0, 0.5), (0.5, 0.5)]:
        with pytest.raises(ConfigError, match="quantiles"):
            QuantileHead(8, 1, bad)


def test_pinball_loss_matches_definition() -> None:
    qs = (0.1, 0.5, 0.9)
    pred, target = torch.randn(4, 2, 3), torch.randn(4, 2)
    ref = torch.zeros(())
    for b in range(4):
        for h in range(2):
            for j, q in enumerate(qs):
                e = float(target[b, h] - pred[b, h, j])
                ref += q * e if e >= 0 else (q - 1) * e
    torch.testing.assert_close(pinball_loss(pred, target, qs), ref / 24)
    with pytest.raises(ShapeError):
        pinball_loss(pred, target[:, :1], qs)


@pytest.mark.parametrize("levels", [(0.1, 0.5, 1.5), (0.0, 0.5, 0.9), (-0.1, 0.5, 0.9)])
def test_pinball_loss_refuses_levels_outside_zero_one(levels: tuple[float, ...]) -> None:
    """The training loss took (0.1, 0.5, 1.5) without a word (a level above 1 rewards over-prediction: a wrong
    objective), where the PinballLoss metric refused it; now the metric's ConfigError, for tensors too."""
    pred, target = torch.randn(2, 3, 3), torch.randn(2, 3)
    with pytest.raises(ConfigError, match=r"pinball loss: quantiles must be in \(0, 1\)"):
        pinball_loss(pred, target, levels)
    with pytest.raises(ConfigError, match=r"pinball loss: quantiles must be in \(0, 1\)"):
        pinball_loss(pred, target, torch.tensor(levels))
    assert pinball_loss(pred, target, (0.1, 0.5, 0.9)).item() > 0


def test_the_quantile_levels_check_has_one_public_home() -> None:
    """``nn/heads.py`` imported metrics' private ``_quantile_tensor`` for its check; the check is now public,
    ``carrousel.core.metrics.quantile_levels``, used by the loss and the metric alike (same answers)."""
    import ast
    import inspect

    from carrousel.core.metrics import PinballLoss, quantile_levels
    from carrousel.core.nn import heads

    imported = [
        (node.module, alias.name)
        for node in ast.walk(ast.parse(inspect.getsource(heads)))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("carrousel.core.metrics")
        for alias in node.names
    ]
    assert ("carrousel.core.metrics.regression", "quantile_levels") in imported
    assert [name for _, name in imported if name.startswith("_")] == []
    levels = quantile_levels((0.1, 0.5, 0.9))
    assert levels.dtype == torch.float64 and levels.tolist() == [0.1, 0.5, 0.9]
    assert PinballLoss([0.9, 0.1]).quantiles.tolist() == [0.9, 0.1]  # any order, as before
    for bad in [(), (0.5, 1.0), (float("nan"),)]:
        with pytest.raises(ConfigError, match=r"^pinball loss: quantiles must be in \(0, 1\), got "):
            quantile_levels(bad)


@pytest.mark.usefixtures("one_thread")
def test_quantile_head_learns_normal_quantiles() -> None:
    """From a constant input, the head must learn the quantiles of N(2, 1) noise (oracle: Normal.icdf)."""
    qs = (0.1, 0.5, 0.9)
    head = QuantileHead(1, horizon=2, quantiles=qs)
    opt = torch.optim.Adam(head.parameters(), lr=0.05)
    x = torch.ones(512, 1)
    for _ in range(300):
        loss = pinball_loss(head(x), 2.0 + torch.randn(512, 2), qs)
        opt.zero_grad()
        loss.backward()
        opt.step()
    truth = torch.distributions.Normal(2.0, 1.0).icdf(torch.tensor(qs))
    torch.testing.assert_close(head(x[:1])[0], truth.expand(2, 3), atol=0.12, rtol=0)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_shapes_and_padding_invariance(
    pooling: str, bidirectional: bool, device: torch.device
) -> None:
    enc = RecurrentConfig(I, 8, cell="lstm", num_layers=2, bidirectional=bidirectional)
    model = (
        SequenceClassifier(SequenceClassifierConfig(enc, num_classes=4, pooling=pooling)).to(device).eval()
    )
    x = torch.randn(B, T, I, device=device)
    logits = model(x, lengths=LENGTHS)
    assert logits.shape == (B, 4)
    torch.testing.assert_close(model(_repad(x, LENGTHS), lengths=LENGTHS), logits)
    torch.testing.assert_close(model(x, mask=mask_from_lengths(LENGTHS, T, device)), logits)
    # each sequence alone, unpadded, gives the same logits as inside the padded batch
    for b in (1, 3):
        n = int(LENGTHS[b])
        torch.testing.assert_close(model(x[b : b + 1, :n])[0], logits[b], atol=1e-5, rtol=1e-5)


def test_regressor_point_and_quantile_outputs(device: torch.device) -> None:
    enc = RecurrentConfig(I, 8, cell="gru")
    point = SequenceRegressor(SequenceRegressorConfig(enc, out_features=5, pooling="mean")).to(device)
    assert point(torch.randn(B, T, I, device=device), LENGTHS).shape == (B, 5)
    cfg = SequenceRegressorConfig(enc, out_features=5, quantiles=(0.1, 0.5, 0.9), pooling="attention")
    quant = SequenceRegressor(cfg).to(device)
    out = quant(torch.randn(B, T, I, device=device), LENGTHS)
    assert out.shape == (B, 5, 3) and bool((out.diff(dim=-1) >= 0).all())


def test_integer_id_inputs_through_an_embedding() -> None:
    cfg = SequenceClassifierConfig(RecurrentConfig(4, 8), num_classes=2, pooling="max", num_embeddings=10)
    model = SequenceClassifier(cfg).eval()
    ids = torch.randint(1, 10, (B, T))
    logits = model(ids, LENGTHS)
    assert logits.shape == (B, 2)
    torch.testing.assert_close(model(_repad(ids, LENGTHS), LENGTHS), logits)
    with pytest.raises(ShapeError, match="integer ids"):
        model(torch.randn(B, T, 4), LENGTHS)


def test_model_configs_validate() -> None:
    enc = RecurrentConfig(I, 8)
    with pytest.raises(ConfigError, match="pooling"):
        SequenceClassifierConfig(enc, num_classes=2, pooling="median")
    with pytest.raises(ConfigError, match="num_classes"):
        SequenceClassifierConfig(enc, num_classes=0)
    with pytest.raises(ConfigError, match="quantiles"):
        SequenceRegressorConfig(enc, quantiles=(0.9, 0.1))
    with pytest.raises(ConfigError, match="out_features"):
        SequenceRegressorConfig(enc, out_features=0)
    cfg = SequenceRegressorConfig(enc, quantiles=[0.25, 0.75])  # type: ignore[arg-type]
    assert cfg.quantiles == (0.25, 0.75)
    assert dataclasses.replace(cfg, pooling="max").pooling == "max"


@pytest.mark.usefixtures("one_thread")
def test_sequence_classifier_learns_which_symbol_came_first() -> None:
    """Class = which of two marker features fires first in a variable-length noisy sequence.

    Needs order (not a bag of steps): chance is 50%; we require > 90% on held-out data.
    """
    gen = torch.Generator().manual_seed(2)

    def batch(n: int, steps: int = 10) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.randn(n, steps, 3, generator=gen) * 0.3
        lengths = torch.randint(4, steps + 1, (n,), generator=gen)
        rows = torch.arange(n)
        a = (torch.rand(n, generator=gen) * (lengths - 1)).long()
        b = a + 1 + (torch.rand(n, generator=gen) * (lengths - a - 1)).long()
        y = torch.randint(0, 2, (n,), generator=gen)
        x[rows, a, y] += 1.0
        x[rows, b, 1 - y] += 1.0
        return _repad(x, lengths), lengths, y

    cfg = SequenceClassifierConfig(RecurrentConfig(3, 16, cell="gru"), num_classes=2, pooling="last")
    model = SequenceClassifier(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(120):
        x, lengths, y = batch(64)
        loss = F.cross_entropy(model(x, lengths), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    x, lengths, y = batch(500)
    with torch.no_grad():
        acc = (model(x, lengths).argmax(-1) == y).float().mean().item()
    assert sum(losses[-10:]) < 0.5 * sum(losses[:10])
    assert acc > 0.9, f"accuracy {acc:.3f} (chance 0.5)"
