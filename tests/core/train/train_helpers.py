"""Small models, tasks and data shared by the trainer tests and their subprocess script."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from carrousel.core.errors import error_line
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.train import Task, TrainConfig

# The stops-inside-an-epoch tests' run (test_epoch_end*.py), on ``shuffled(seed)``'s 13 batches of 16 an epoch,
# 2 per optimiser step: 7 steps an epoch (the 7th on the epoch's last batch alone); a per-epoch schedule (it
# must not step at a stop inside an epoch), dropout in their model (the RNG states must be the stop's)
STOPS_CFG = TrainConfig(
    epochs=3, lr=1e-2, scheduler="step", step_size=1, gamma=0.5, accumulate=2, restore_best=False,
    progress=False, device="cpu",
)  # fmt: skip


class RegressionTask(Task):
    """Batches ``(x, y)``; mean squared error."""

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        return model(batch[0])

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.mse_loss(outputs, batch[1])


def linear_data(n: int = 256, features: int = 8, seed: int = 1) -> tuple[Tensor, Tensor]:
    """``x (n, features)`` (drawn with ``seed``) and ``y (n, 1)`` from one fixed linear map plus noise."""
    w = torch.randn(features, 1, generator=torch.Generator().manual_seed(1234)) / features**0.5
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    y = x @ w + 0.01 * torch.randn(n, 1, generator=g)
    return x, y


def linear_batches(n: int, seed: int = 1, size: int = 16) -> list[tuple[Tensor, Tensor]]:
    """``linear_data(n, seed=seed)`` cut in order into batches of ``size``: ``[(x (size, 8), y (size, 1)), ...]``."""
    x, y = linear_data(n, seed=seed)
    return [(x[i : i + size], y[i : i + size]) for i in range(0, n, size)]


def shuffled(seed: int | None) -> DataLoader[tuple[Tensor, ...]]:
    """``linear_data(200)`` in shuffled batches of 16: by the loader's own generator seeded ``seed``, or from
    the global RNG for None."""
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return DataLoader(TensorDataset(*linear_data(200)), batch_size=16, shuffle=True, generator=generator)


class Unsized:
    """The batches of a fixed list, in order, without ``len`` (an iterable, like a ``DataLoader`` of an
    ``IterableDataset``): the trainer cannot tell the epoch's last batch, nor shard it into equal parts."""

    def __init__(self, batches: list[Any]) -> None:
        self.batches = batches

    def __iter__(self) -> Any:
        return iter(self.batches)


def timeless(history: list[dict[str, float]]) -> list[dict[str, float]]:
    """A fit's history rows without ``epoch_time`` (wall time, never the same twice): rows to compare."""
    return [{k: v for k, v in row.items() if k != "epoch_time"} for row in history]


def join_two_ranks() -> tuple[int, list[str]]:
    """In a worker that ``tests/gloo_pair.run_two_ranks`` started: one thread, the two-rank gloo group joined
    in the file store (``argv[2]``). Gives back this rank (``argv[1]``) and the worker's own arguments
    (``argv[4:]``; ``argv[3]`` is this folder, which the worker put on ``sys.path`` to import this module)."""
    rank, store = int(sys.argv[1]), sys.argv[2]
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    return rank, sys.argv[4:]


def leave_two_ranks(doc: Any) -> None:
    """Prints ``doc`` as the JSON line ``run_two_ranks`` reads, waits for the other rank (a rank gone first:
    gloo's abort) and leaves the group."""
    print(json.dumps(doc))
    dist.barrier()
    dist.destroy_process_group()


def caught(call: Callable[[], object]) -> str | None:
    """Runs ``call``: None when it returns, else the error it raised as :func:`~carrousel.core.errors.error_line`
    names it (``"Type: message"``, the line the two-rank workers print for their test to compare)."""
    try:
        call()
    except Exception as exc:
        return error_line(exc)
    return None


def mlp(features: int = 8, dropout: float = 0.1, seed: int = 0) -> nn.Module:
    """A tiny MLP, built under a fixed seed."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 16), nn.Tanh(), nn.Dropout(dropout), nn.Linear(16, 1))


def temporal_order(n: int, tmin: int, tmax: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """The temporal-order problem (Hochreiter & Schmidhuber 1997), with variable lengths.

    Each sequence holds random distractor symbols ``a..d`` plus two marker symbols ``X``/``Y``, one in each
    half; the class (4 of them) is the ordered pair of markers. Chance level is 25%.

    Returns:
        ``x (n, tmax, 6)`` one-hot symbols (zero past the length), ``lengths (n,)``, ``labels (n,)``.
    """
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(tmin, tmax + 1, (n,), generator=g)
    sym = torch.randint(0, 4, (n, tmax), generator=g)
    labels = torch.randint(0, 4, (n,), generator=g)
    first = (torch.rand(n, generator=g) * (lengths // 2)).long()
    second = lengths // 2 + (torch.rand(n, generator=g) * (lengths - lengths // 2)).long()
    rows = torch.arange(n)
    sym[rows, first] = 4 + labels // 2
    sym[rows, second] = 4 + labels % 2
    x = nn.functional.one_hot(sym, 6).float()
    x = x * (torch.arange(tmax)[None, :, None] < lengths[:, None, None])
    return x, lengths, labels


class DictDataset(Dataset[dict[str, Tensor]]):
    """Map-style dataset over equally long tensors, yielding dicts."""

    def __init__(self, **tensors: Tensor) -> None:
        self.tensors = tensors

    def __len__(self) -> int:
        return len(next(iter(self.tensors.values())))

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        return {k: v[i] for k, v in self.tensors.items()}


class SequenceClassifier(nn.Module):
    """LSTM encoder + linear head on the last valid state."""

    def __init__(self, inputs: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.encoder = RecurrentEncoder(RecurrentConfig(inputs, hidden))
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.head(self.encoder(x, lengths).last)


class ClassificationTask(Task):
    """Dict batches ``x``, ``lengths``, ``y``; cross-entropy; accuracy from carrousel.core.metrics."""

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        return model(batch["x"], batch["lengths"])

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.cross_entropy(outputs, batch["y"])

    def metrics(self) -> dict[str, Any]:
        from carrousel.core.metrics import Accuracy

        return {"accuracy": Accuracy()}

    def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
        metrics["accuracy"].update(outputs.argmax(-1), batch["y"])


class StreamTagger(nn.Module):
    """Per-step LSTM tagger that takes and returns a state: ``(x (B,T,1), state) -> (logits (B,T,2), state)``."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.encoder = RecurrentEncoder(RecurrentConfig(1, hidden))
        self.head = nn.Linear(hidden, 2)

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out = self.encoder(x, state=state)
        return self.head(out.output), out.state


class EchoTask(Task):
    """Stateful task: predict the bit seen ``delay`` steps earlier; steps with ``valid == 0`` are ignored.

    Args:
        carry: pass the incoming state to the model (False: every chunk starts from zeros).
    """

    stateful = True

    def __init__(self, carry: bool = True) -> None:
        self.carry = carry

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> tuple[Tensor, Any]:
        start = state[0] if (state and self.carry) else None
        return model(batch["x"], start)

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        ce = nn.functional.cross_entropy(outputs.transpose(1, 2), batch["y"], reduction="none")
        valid = batch["valid"]
        return (ce * valid).sum() / valid.sum().clamp(min=1)


def echo_streams(streams: int, steps: int, delay: int, seed: int) -> dict[str, Tensor]:
    """Random bit streams ``x (streams, steps, 1)``, targets ``y`` = x delayed, ``valid`` mask."""
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (streams, steps), generator=g)
    y = torch.zeros_like(bits)
    y[:, delay:] = bits[:, :-delay]
    valid = torch.ones(streams, steps)
    valid[:, :delay] = 0
    return {"x": bits.float().unsqueeze(-1), "y": y, "valid": valid}


def echo_accuracy(logits: Tensor, batch: dict[str, Tensor]) -> float:
    """Accuracy over valid steps."""
    hit = (logits.argmax(-1) == batch["y"]).float() * batch["valid"]
    return float(hit.sum() / batch["valid"].sum())
