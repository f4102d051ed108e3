"""carrousel.core.prune.prune_and_finetune (the helper behind every export's ``--prune F``) and the
``encoder=`` / ``readers=`` options of prune_units (a head over [encoder output, other features])."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.errors import ConfigError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, SequenceClassifier, SequenceClassifierConfig
from carrousel.core.prune import prune_and_finetune, prune_units
from carrousel.core.train import Task, TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

DT = torch.float64


class _Mixed(nn.Module):
    """As bio's DanQ: the encoder is ``rnn`` and the head reads [its last output (2H), 3 other features]."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = RecurrentEncoder(RecurrentConfig(4, hidden, bidirectional=True))
        self.head = nn.Linear(2 * hidden + 3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.rnn(x).output.amax(1), x[:, :, :3].mean(1)], 1))


def test_readers_slice_the_encoder_columns_and_keep_the_others() -> None:
    model = _Mixed(8).to(DT).eval()
    dead = [1, 4, 6]
    with torch.no_grad():  # units with no incoming, recurrent or outgoing weights: removing them is exact
        for name, p in model.rnn.named_parameters():
            rows = torch.cat([g * 8 + torch.tensor(dead) for g in range(4)])
            p[rows] = 0
            if name.startswith("rnn.weight_hh"):
                p[:, dead] = 0
        for d in range(2):
            model.head.weight[:, [d * 8 + u for u in dead]] = 0
    other = model.head.weight[:, 16:].clone()
    small = prune_units(
        model,
        amount=3 / 8,
        rebuild=lambda enc: _Mixed(enc.hidden_size),
        encoder="rnn",
        readers={"head.weight": 0},
    )
    assert isinstance(small, _Mixed) and small.rnn.config.hidden_size == 5 and small.head.in_features == 13
    small = small.to(DT).eval()
    torch.testing.assert_close(small.head.weight[:, 10:], other, rtol=0, atol=0)  # the other features
    x = torch.randn(5, 7, 4, dtype=DT)
    torch.testing.assert_close(small(x), model(x), rtol=1e-12, atol=1e-12)
    with pytest.raises(ConfigError, match=r"readers: head\.weight"):
        prune_units(
            model,
            amount=0.5,
            rebuild=lambda enc: _Mixed(enc.hidden_size),
            encoder="rnn",
            readers={"head.weight": 9},
        )
    with pytest.raises(
        ConfigError, match=r"cannot be rebuilt around a smaller \.rnn by itself .*: give rebuild="
    ):
        prune_units(model, amount=0.5, encoder="rnn")


class _Cls(Task):
    def forward(self, model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return model(batch[0])

    def loss(self, outputs: torch.Tensor, batch: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, batch[1])


def _data(n: int, seed: int) -> TensorDataset:
    """Class 1 when the first channel's sum over time is positive (an order-free toy an LSTM learns)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, 4, generator=g)
    return TensorDataset(x, (x[:, :, 0].sum(1) > 0).long())


def _accuracy(model: nn.Module, data: TensorDataset) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(data.tensors[0]).argmax(1) == data.tensors[1]).float().mean())


def test_prune_and_finetune_recovers_a_learned_toy() -> None:
    torch.manual_seed(0)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 16), num_classes=2))
    train, val, test = _data(768, 1), _data(256, 2), _data(512, 3)
    fit = TrainConfig(epochs=12, lr=1e-2, progress=False, device="cpu", seed=0)
    Trainer(model, _Cls(), fit).fit(DataLoader(train, batch_size=64, shuffle=True))
    full = _accuracy(model, test)
    assert full > 0.9  # the toy was learned
    params = sum(p.numel() for p in model.parameters())
    pruned = prune_and_finetune(
        model,
        0.75,
        _Cls(),
        DataLoader(train, batch_size=64, shuffle=True),
        DataLoader(val, batch_size=256),
        TrainConfig(epochs=8, lr=5e-3, progress=False, device="cpu", seed=0, patience=3),
    )
    s = pruned.summary
    assert s["hidden_size"] == {"before": 16, "after": 4} and s["parameters"]["before"] == params
    assert s["parameters"]["after"] < params / 4 and 1 <= s["epochs"] <= 8
    assert s["val_finetuned"]["loss"] < s["val_pruned"]["loss"]  # the fine-tuning recovered some of the loss
    assert not pruned.model.training and next(pruned.model.parameters()).device.type == "cpu"
    assert (
        _accuracy(pruned.model, test) >= full - 0.05
    )  # stated tolerance: 5 points at a quarter of the units
    assert sum(p.numel() for p in model.parameters()) == params  # the full model is left unchanged
    with pytest.raises(ConfigError, match=r"prune amount must be in \(0, 1\)"):
        prune_and_finetune(model, 0.0, _Cls(), None, None, fit)


def test_a_model_whose_encoder_has_another_name_is_told_that_name() -> None:
    """``prune_units(own_model, 0.5)`` on a model whose encoder is ``.rnn`` said "has no .encoder
    RecurrentEncoder with a config.encoder (give rebuild=...)": no word of ``encoder="rnn"``; and with
    ``encoder="rnn"`` but no rebuild, "has no .rnn RecurrentEncoder", which it has: it names rebuild."""
    with pytest.raises(
        ConfigError,
        match=r"has no \.encoder RecurrentEncoder \(its RecurrentEncoder is \.rnn: pass encoder='rnn'\)",
    ):
        prune_units(_Mixed(4), amount=0.5)
    with pytest.raises(ConfigError, match=r"\(it holds none\)"):
        prune_units(nn.Sequential(nn.Linear(2, 2)), amount=0.5)
    with pytest.raises(ConfigError, match=r"give rebuild=lambda encoder_config: a _Mixed built around"):
        prune_units(_Mixed(4), amount=0.5, encoder="rnn")
