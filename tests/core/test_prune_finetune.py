"""Structured pruning + fine-tuning through the core Trainer on a small noisy-frequency task: removing half
the hidden units costs accuracy (0.97 -> 0.49 when written), six epochs of fine-tuning bring it back to
within 3 points (0.96)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.errors import NonFiniteLossError
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from carrousel.core.option_names import flags_named
from carrousel.core.prune import prune_and_finetune, prune_units, variant_fix
from carrousel.core.train import Task, TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

FREQS = (1.5, 2.5, 3.5)  # cycles per sequence, one class each


def noisy_tones(n: int, seed: int) -> TensorDataset:
    """Sinusoids of three frequencies with random phase, amplitude, length in [24, 40] and Gaussian noise
    (SNR about 1): the class is the frequency."""
    g = torch.Generator().manual_seed(seed)
    T = 40
    y = torch.randint(0, len(FREQS), (n,), generator=g)
    lengths = torch.randint(24, T + 1, (n,), generator=g)
    t = torch.arange(T).float().unsqueeze(0) / lengths.unsqueeze(1).float()
    freq = torch.tensor(FREQS)[y].unsqueeze(1)
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    amp = 0.7 + 0.6 * torch.rand(n, 1, generator=g)
    x = amp * torch.sin(2 * math.pi * freq * t + phase) + 0.7 * torch.randn(n, T, generator=g)
    x = x * (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1))
    return TensorDataset(x.unsqueeze(-1), lengths, y)


class ToneTask(Task):
    def forward(self, model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return model(batch[0], batch[1])

    def loss(self, outputs: torch.Tensor, batch: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, batch[2])


@torch.no_grad()
def accuracy(model: nn.Module, data: TensorDataset) -> float:
    model.eval()
    x, lengths, y = data.tensors
    return float((model(x, lengths).argmax(-1) == y).double().mean())


def test_pruning_half_the_units_then_fine_tuning_recovers_accuracy() -> None:
    torch.manual_seed(0)
    train, test = noisy_tones(1024, 1), noisy_tones(512, 2)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(1, 32), num_classes=3))
    cfg = TrainConfig(epochs=12, lr=1e-2, progress=False, device="cpu")
    Trainer(model, ToneTask(), cfg).fit(loader)
    full = accuracy(model, test)
    assert full > 0.85  # the task is learned

    small = prune_units(model, amount=0.5)
    assert small.config.encoder.hidden_size == 16
    pruned = accuracy(small, test)
    Trainer(small, ToneTask(), TrainConfig(epochs=6, lr=3e-3, progress=False, device="cpu")).fit(loader)
    tuned = accuracy(small, test)
    assert tuned >= full - 0.03, (full, pruned, tuned)
    assert pruned < full - 0.1  # the cut mattered: the recovery is the fine-tuning's


def test_a_diverged_fine_tuning_is_refused_naming_the_options_that_feed_it() -> None:
    """Without a caller's ``fix`` (bio, nlp and speech fine-tune at a fixed rate) a diverged fine-tuning is
    refused in core's one line naming ``--prune`` and ``--finetune-epochs``. Before: unchecked, the
    useless network came back to be exported."""
    torch.manual_seed(0)
    data = noisy_tones(128, 1)
    loader, val = DataLoader(data, batch_size=32, shuffle=True), DataLoader(noisy_tones(64, 2), batch_size=64)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(1, 16), num_classes=3))
    cfg = TrainConfig(epochs=2, lr=1e30, progress=False, device="cpu")
    with pytest.raises(NonFiniteLossError) as err:
        prune_and_finetune(model, 0.5, ToneTask(), loader, val, cfg)
    assert str(err.value).startswith("the training diverged: "), err.value
    assert str(err.value).endswith(
        "; nothing is saved; lower prune (now 0.5) or finetune_epochs (now 2; the learning rate is fixed "
        "at 1e+30)"
    ), err.value  # a Python caller reads the settings' names, a command its flags
    assert variant_fix(cfg) == "finetune_epochs (now 2; the learning rate is fixed at 1e+30)"  # a student
    with flags_named():
        assert variant_fix(cfg) == "--finetune-epochs (now 2; the learning rate is fixed at 1e+30)"
        with pytest.raises(NonFiniteLossError) as err:
            prune_and_finetune(model, 0.5, ToneTask(), loader, val, cfg)
    assert str(err.value).endswith(
        "; nothing is saved; lower --prune (now 0.5) or --finetune-epochs (now 2; the learning rate is fixed "
        "at 1e+30)"
    ), err.value
    tuned = prune_and_finetune(model, 0.5, ToneTask(), loader, val, replace(cfg, lr=1e-3))
    assert tuned.summary["epochs"] == 2  # a usual rate fine-tunes as before
