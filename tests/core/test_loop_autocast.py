"""The hand-written LSTM step loops (peephole, zoneout, recurrent dropout, ``backend="loop"``) under CPU
autocast: they failed with "self and mat2 must have the same dtype, but got BFloat16 and Float" inside
``lstm_loop.py`` (autocast's bf16 input projection met the float32 recurrent weights in ``addmm_``), so
``TrainConfig(precision="bf16")`` could not train a peephole or zoneout LSTM at all. They now run in the
weights' dtype outside autocast, as the GRU and ``ln_lstm`` did already."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core import RecurrentConfig, RecurrentEncoder, Task, TrainConfig, Trainer
from carrousel.core.nn import SequenceClassifier, SequenceClassifierConfig

LOOPS = [
    {"cell": "peephole_lstm"},
    {"cell": "lstm", "zoneout": 0.2},
    {"cell": "lstm", "recurrent_dropout": 0.25},
    {"cell": "lstm", "backend": "loop"},
    {"cell": "ln_lstm"},
]


@pytest.mark.parametrize("kw", LOOPS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_a_loop_cell_runs_under_bf16_autocast_as_in_float32(kw: dict[str, object]) -> None:
    torch.manual_seed(0)
    encoder = RecurrentEncoder(RecurrentConfig(4, 6, bidirectional=True, num_layers=2, **kw))  # type: ignore[arg-type]
    x, lengths = torch.randn(3, 5, 4), torch.tensor([5, 3, 1])
    encoder.eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = encoder(x, lengths)
    assert torch.equal(out.output, encoder(x, lengths).output)  # the same float32 computation
    encoder.train()
    xg = x.clone().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = encoder(xg, lengths)
    out.output.float().sum().backward()
    assert xg.grad is not None and bool(torch.isfinite(xg.grad).all())


class _Classify(Task):
    def forward(self, model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return model(batch[0], batch[1])  # type: ignore[no-any-return]

    def loss(self, outputs: torch.Tensor, batch: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs.float(), batch[2])


def test_trainer_bf16_trains_a_peephole_lstm() -> None:
    g = torch.Generator().manual_seed(0)
    x, lengths = torch.randn(64, 8, 4, generator=g), torch.randint(2, 9, (64,), generator=g)
    loader = DataLoader(TensorDataset(x, lengths, (x[:, 0, 0] > 0).long()), batch_size=16)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8, cell="peephole_lstm"), 2))
    config = TrainConfig(epochs=1, progress=False, precision="bf16", device="cpu")
    result = Trainer(model, _Classify(), config).fit(loader, loader)
    assert result.steps == 4 and result.skipped_steps == 0
