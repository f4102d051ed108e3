"""Speed and accuracy of structured pruning (carrousel.core.prune), measured side by side in one run.

Speed: a :class:`SequenceClassifier` and its copy with a fraction of the hidden units removed
(``prune_units``) run interleaved (A B A B ...) on the same batch: inference (no grad) at the shape's batch (B) and at batch 1,
and a training step (forward + backward) at batch B; the report gives median times and the pruned/full
time ratio. Accuracy (``--accuracy``): a classifier trained on noisy tones (three frequencies, SNR about 1,
lengths 24-40), then pruned and fine-tuned with the core Trainer; test accuracy before, right after the
cut and after fine-tuning (the same task as ``tests/core/test_prune_finetune.py``, bigger).

Usage::

    python benchmarks/bench_prune.py --threads 1                  # JSON on stdout
    python benchmarks/bench_prune.py --threads 1 --amount 0.75 --accuracy
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from carrousel.core.prune import prune_units
from carrousel.core.train import Task, TrainConfig, Trainer

SHAPES = {  # name: (I, H, layers, bidirectional, B, T)
    "I=64 H=256 L=1 B=64 T=100": (64, 256, 1, False, 64, 100),
    "I=64 H=256 L=2 bi B=64 T=100": (64, 256, 2, True, 64, 100),
    "I=4 H=64 L=1 B=128 T=60 (stock-sized)": (4, 64, 1, False, 128, 60),
}


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def speed(amount: float, rounds: int) -> dict[str, dict[str, float]]:
    """Pruned/full time ratios per shape for inference (batch B and 1) and a training step (batch B)."""
    out: dict[str, dict[str, float]] = {}
    for name, (I, H, L, bi, B, T) in SHAPES.items():  # noqa: E741
        cfg = SequenceClassifierConfig(RecurrentConfig(I, H, num_layers=L, bidirectional=bi), num_classes=5)
        full = SequenceClassifier(cfg)
        small = prune_units(full, amount=amount)
        x, x1 = torch.randn(B, T, I), torch.randn(1, T, I)
        y = torch.randint(0, 5, (B,))
        runs: dict[str, Callable[[nn.Module], Callable[[], object]]] = {
            "infer_batch": lambda m, x=x: lambda: m(x),
            "infer_b1": lambda m, x1=x1: lambda: m(x1),
            "train_batch": lambda m, x=x, y=y: lambda: nn.functional.cross_entropy(m(x), y).backward(),
        }
        row: dict[str, float] = {
            "hidden": H,
            "hidden_pruned": small.config.encoder.hidden_size,
            "params": sum(p.numel() for p in full.parameters()),
            "params_pruned": sum(p.numel() for p in small.parameters()),
        }
        for kind, make in runs.items():
            times: dict[str, list[float]] = {"full": [], "pruned": []}
            for r in range(rounds + 1):
                for label, model in (("full", full), ("pruned", small)):
                    model.zero_grad(set_to_none=True)
                    if kind.startswith("infer"):
                        with torch.no_grad():
                            t = _timed(make(model.eval()))
                    else:
                        t = _timed(make(model.train()))
                    if r:  # round 0 warms up
                        times[label].append(t)
            f, p = statistics.median(times["full"]), statistics.median(times["pruned"])
            row[f"{kind}_ms"] = round(f * 1e3, 2)
            row[f"{kind}_pruned_ms"] = round(p * 1e3, 2)
            row[f"{kind}_ratio"] = round(p / f, 3)
        out[name] = row
    return out


def noisy_tones(n: int, seed: int) -> TensorDataset:
    """Three-frequency sinusoids with random phase, amplitude and length, Gaussian noise; class = frequency."""
    g = torch.Generator().manual_seed(seed)
    T = 40
    y = torch.randint(0, 3, (n,), generator=g)
    lengths = torch.randint(24, T + 1, (n,), generator=g)
    t = torch.arange(T).float().unsqueeze(0) / lengths.unsqueeze(1).float()
    freq = torch.tensor((1.5, 2.5, 3.5))[y].unsqueeze(1)
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    amp = 0.7 + 0.6 * torch.rand(n, 1, generator=g)
    x = amp * torch.sin(2 * math.pi * freq * t + phase) + 0.7 * torch.randn(n, T, generator=g)
    x = x * (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1))
    return TensorDataset(x.unsqueeze(-1), lengths, y)


class ToneTask(Task):
    """Cross-entropy on ``(x, lengths, y)`` batches."""

    def forward(self, model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return model(batch[0], batch[1])

    def loss(self, outputs: torch.Tensor, batch: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, batch[2])


@torch.no_grad()
def _accuracy(model: nn.Module, data: TensorDataset) -> float:
    model.eval()
    x, lengths, y = data.tensors
    return round(float((model(x, lengths).argmax(-1) == y).double().mean()), 4)


def accuracy(amount: float, hidden: int, epochs: int, tune_epochs: int) -> dict[str, float]:
    """Test accuracy of the full model, the pruned one, and the pruned one after fine-tuning."""
    torch.manual_seed(0)
    train, test = noisy_tones(4096, 1), noisy_tones(2048, 2)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(1, hidden), num_classes=3))
    Trainer(model, ToneTask(), TrainConfig(epochs=epochs, lr=1e-2, progress=False, device="cpu")).fit(loader)
    small = prune_units(model, amount=amount)
    res = {"hidden": hidden, "hidden_pruned": small.config.encoder.hidden_size}
    res["acc_full"], res["acc_pruned"] = _accuracy(model, test), _accuracy(small, test)
    cfg = TrainConfig(epochs=tune_epochs, lr=3e-3, progress=False, device="cpu")
    Trainer(small, ToneTask(), cfg).fit(loader)
    res["acc_finetuned"] = _accuracy(small, test)
    return res


def main() -> None:
    """Parses the command line, runs the measurements and prints one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--amount", type=float, default=0.5, help="fraction of hidden units to remove")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: PyTorch's default)")
    ap.add_argument("--accuracy", action="store_true", help="also train, prune and fine-tune on noisy tones")
    ap.add_argument("--hidden", type=int, default=64, help="hidden units of the accuracy model")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--tune-epochs", type=int, default=4)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    report: dict[str, object] = {
        "amount": args.amount,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "speed": speed(args.amount, args.rounds),
    }
    if args.accuracy:
        report["accuracy"] = accuracy(args.amount, args.hidden, args.epochs, args.tune_epochs)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
