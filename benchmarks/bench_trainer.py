"""Trainer overhead: epoch time of carrousel's Trainer against a minimal hand-written loop.

Both train the same LSTM classifier on the same batches with AdamW and gradient-norm clipping at 1.0
(the Trainer's default); the runs alternate, in a rotating order, so all see the same machine
load; the minimum (least disturbed) and median of wall-clock and process CPU time are
compared (CPU time is the steadier figure on a shared machine). The Trainer runs with its non-finite
guard, callbacks and history on, the progress bar off (and, in a last column, on).

Usage:
    python benchmarks/bench_trainer.py [--device cpu|cuda] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch import Tensor, nn

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.train import Task, TrainConfig, Trainer


class Net(nn.Module):
    def __init__(self, inputs: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.encoder = RecurrentEncoder(RecurrentConfig(inputs, hidden, num_layers=2))
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x).last)


class Classify(Task):
    def forward(self, model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        return model(batch[0])

    def loss(self, outputs: Tensor, batch: tuple[Tensor, Tensor]) -> Tensor:
        return nn.functional.cross_entropy(outputs, batch[1])


def make_batches(n_batches: int, batch: int, steps: int, inputs: int, device: torch.device) -> list:
    g = torch.Generator().manual_seed(0)
    return [
        (
            torch.randn(batch, steps, inputs, generator=g).to(device),
            torch.randint(0, 10, (batch,), generator=g).to(device),
        )
        for _ in range(n_batches)
    ]


def hand_loop(model: nn.Module, batches: list, device: torch.device) -> tuple[float, float]:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for x, y in batches:
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()  # a hand loop logs its loss too
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, time.process_time() - c0


def trainer_loop(
    model: nn.Module, batches: list, device: torch.device, progress: bool
) -> tuple[float, float]:
    cfg = TrainConfig(epochs=1, lr=1e-3, device=str(device), progress=progress, monitor="train_loss")
    t0, c0 = time.perf_counter(), time.process_time()
    Trainer(model, Classify(), cfg).fit(batches)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # denormals from the evolving weights made epoch times swing by 30%
    device = torch.device(args.device)
    batches = make_batches(args.batches, 64, 50, 32, device)
    torch.manual_seed(0)
    model = Net(32, args.hidden, 10).to(device)
    hand_loop(model, batches[:5], device)  # warm-up (kernels, allocator)
    trainer_loop(model, batches[:5], device, progress=False)
    hand: list[tuple[float, float]] = []
    trainer: list[tuple[float, float]] = []
    bar: list[tuple[float, float]] = []
    # Every timed epoch starts from a copy of the same weights, so all variants do identical numerical work.
    runs = [
        lambda: hand.append(hand_loop(copy.deepcopy(model), batches, device)),
        lambda: trainer.append(trainer_loop(copy.deepcopy(model), batches, device, progress=False)),
        lambda: bar.append(trainer_loop(copy.deepcopy(model), batches, device, progress=True)),
    ]
    for r in range(args.repeats):  # rotate the order so that no variant always runs first
        for k in range(3):
            runs[(r + k) % 3]()
    print(f"device={device} threads={args.threads} batches/epoch={args.batches} repeats={args.repeats}")
    print(
        f"{'epoch seconds':<20} {'hand loop':>10} {'Trainer':>10} {'Trainer+bar':>12} {'overhead':>9} {'+bar':>8}"
    )
    for clock, col in (("wall", 0), ("cpu", 1)):
        for name, agg in (("min", min), ("median", statistics.median)):
            h, t, b = (agg(r[col] for r in runs) for runs in (hand, trainer, bar))
            label = f"{clock} {name}"
            print(
                f"{label:<20} {h:10.4f} {t:10.4f} {b:12.4f} {100 * (t / h - 1):8.2f}% {100 * (b / h - 1):7.2f}%"
            )


if __name__ == "__main__":
    main()
