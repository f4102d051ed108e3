"""Subprocess used by the kill-and-resume and torchrun tests (not collected by pytest).

Trains a tiny LSTM classifier on the temporal-order problem with a length-bucketed sampler, dropout and
a one-cycle schedule (so that RNG, sampler position and scheduler state all matter on resume), then
writes the final weights as ``<out>/weights-rank<R>.safetensors`` and the history as JSON.

Usage: python train_script.py OUT [--ckpt DIR] [--every N] [--hang-at STEP] [--resume] [--epochs E]
    [--accumulate K]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).parent))
from torch import nn
from torch.utils.data import DataLoader
from train_helpers import ClassificationTask, DictDataset, SequenceClassifier, temporal_order

from carrousel.core.train import BucketBatchSampler, Callback, TrainConfig, Trainer


class Hang(Callback):
    """Writes ``<out>/hanging`` and sleeps once the trainer reaches ``step`` (to be SIGKILLed)."""

    def __init__(self, step: int, out: Path) -> None:
        self.step, self.out = step, out

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        if trainer.step == self.step:
            (self.out / "hanging").write_text(str(batch_idx))
            time.sleep(120)


class Net(SequenceClassifier):
    def __init__(self) -> None:
        super().__init__(6, 12, 4)
        self.drop = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.encoder(x, lengths).last))


def main(argv: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Runs the training; returns the final weights."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--ckpt", default=None)
    parser.add_argument("--every", type=int, default=0)
    parser.add_argument("--hang-at", type=int, default=-1)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--accumulate", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    x, lengths, y = temporal_order(480, 6, 14, seed=0)
    xv, lv, yv = temporal_order(128, 6, 14, seed=1)
    train = DataLoader(DictDataset(x=x, lengths=lengths, y=y), batch_sampler=BucketBatchSampler(lengths, 16))
    val = DataLoader(DictDataset(x=xv, lengths=lv, y=yv), batch_size=64)
    torch.manual_seed(0)
    model = Net()
    cfg = TrainConfig(
        epochs=args.epochs,
        lr=1e-2,
        scheduler="onecycle",
        progress=False,
        device="cpu",
        checkpoint_dir=args.ckpt,
        checkpoint_every=args.every,
        keep_last=2,
        seed=7,
        accumulate=args.accumulate,
        monitor="val_accuracy",
        mode="max",
        restore_best=False,
    )
    callbacks = [Hang(args.hang_at, args.out)] if args.hang_at >= 0 else []
    result = Trainer(model, ClassificationTask(), cfg, callbacks=callbacks).fit(
        train, val, resume="auto" if args.resume else None
    )
    rank = int(os.environ.get("RANK", "0"))
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        str(args.out / f"weights-rank{rank}.safetensors"),
    )
    (args.out / f"history-rank{rank}.json").write_text(json.dumps(result.history))
    return model.state_dict()


if __name__ == "__main__":
    main()
    # a torchrun rank leaves its gloo group before the interpreter exits, as PyTorch asks of a script (and as
    # carrousel.core.cli.run does for every command): a group left to the exit's teardown aborted rank 1 once
    # under load ("terminate called without an active exception", SIGABRT; a fresh-clone CI of session 24)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
