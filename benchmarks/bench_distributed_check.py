"""Cost of the ranks' check before backward under torchrun (``carrousel.core.train.boundary``), measured side
by side in one run.

Two gloo ranks on this machine (CPU) train the same small MLP with the Trainer, ``--rounds`` times each way,
alternated (check on, check off: ``boundary.before_backward`` replaced by a no-op in this benchmark only), and
report the median and fastest seconds per optimiser step of each and their ratio; then the time of one such
check alone (one all-reduce of the five flags, ``distributed.host_any_flags``). The check is what makes one rank's
failure before backward, or a loader out of batches early, reach every rank; without it the other ranks wait
in DDP's gradient all-reduce.

On a shared, loaded machine the medians stretch with the load; the fastest rounds and the ratio of the
medians are what to compare. Under ``nccl`` the check runs on the CPU's gloo twin group as here.

``--compare fold`` instead times the check after a batch left out where the optimiser step's check stands for
it (``boundary.after_step_agreed``; "off": replaced by ``False`` in this benchmark only, every batch then
making its own check after the step, as before): two all-reduces of the flags per step against three.

Usage::

    python benchmarks/bench_distributed_check.py                    # widths 16 and 256, 9 rounds
    python benchmarks/bench_distributed_check.py --widths 256 --rounds 15 --json
    python benchmarks/bench_distributed_check.py --compare fold --rounds 9
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from carrousel.core.train import Task, TrainConfig, Trainer, boundary
from carrousel.core.train import distributed as dist_utils

FEATURES, BATCH, BATCHES = 32, 16, 64


class _Regression(Task):
    """Mean squared error of a ``(batch, 1)`` output against ``y``."""

    def forward(self, model: nn.Module, batch: Any) -> torch.Tensor:
        return model(batch[0])

    def loss(self, outputs: torch.Tensor, batch: Any) -> torch.Tensor:
        return nn.functional.mse_loss(outputs, batch[1])


def _model(width: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(FEATURES, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1)
    )


def _switch(compare: str, on: bool) -> None:
    """What ``compare`` times, on or off (restored by ``on=True``)."""
    if compare == "check":
        boundary.before_backward = _REAL["check"] if on else (lambda t, at_boundary: None)  # type: ignore[assignment]
    else:
        boundary.after_step_agreed = _REAL["fold"] if on else (lambda t: False)  # type: ignore[assignment]


_REAL = {"check": boundary.before_backward, "fold": boundary.after_step_agreed}


def _rank(rank: int, store: str, widths: list[int], rounds: int, out: str, compare: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    gen = torch.Generator().manual_seed(rank)
    x = torch.randn(BATCH * BATCHES, FEATURES, generator=gen)
    y = x[:, :1] * 2.0 + 0.1 * torch.randn(len(x), 1, generator=gen)
    batches = [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)]
    result: dict[str, Any] = {}
    for width in widths:
        times: dict[str, list[float]] = {"on": [], "off": []}
        for r in range(rounds + 1):  # round 0 warms up
            for mode in ("on", "off"):
                _switch(compare, mode == "on")
                cfg = TrainConfig(epochs=1, lr=1e-3, progress=False, device="cpu")
                trainer = Trainer(_model(width), _Regression(), cfg)
                start = time.perf_counter()
                trainer.fit(batches)
                if r:
                    times[mode].append((time.perf_counter() - start) / trainer.step)
        _switch(compare, True)
        result[str(width)] = times
    checks = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            dist_utils.host_any_flags([False] * 5)
        checks.append((time.perf_counter() - start) / 200)
    result["check"] = checks
    if rank == 0:
        Path(out).write_text(json.dumps(result), encoding="utf-8")
    dist.barrier()
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="16,256", help="hidden widths of the MLP, comma-separated")
    parser.add_argument("--rounds", type=int, default=9, help="timed fits each way per width (alternated)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--compare",
        choices=("check", "fold"),
        default="check",
        help="check: the check before backward on/off; fold: the step's check standing for the one after "
        "the batch (on) or not (off)",
    )
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        mp.spawn(
            _rank, args=(str(Path(tmp) / "store"), widths, args.rounds, str(out), args.compare), nprocs=2
        )
        result = json.loads(out.read_text(encoding="utf-8"))
    report: dict[str, Any] = {}
    for width in widths:
        on, off = result[str(width)]["on"], result[str(width)]["off"]
        report[f"width {width}"] = {
            "ms_per_step_median": {"on": 1e3 * statistics.median(on), "off": 1e3 * statistics.median(off)},
            "ms_per_step_fastest": {"on": 1e3 * min(on), "off": 1e3 * min(off)},
            "ratio_of_medians": statistics.median(on) / statistics.median(off),
        }
    report["one check alone, ms (median of 5 x 200)"] = 1e3 * statistics.median(result["check"])
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(
        f"two gloo ranks, MLP {FEATURES}-W-W-1, batch {BATCH}, {BATCHES} steps per fit, {args.rounds} rounds, "
        f"on/off: {args.compare}"
    )
    for width in widths:
        r = report[f"width {width}"]
        med, fast = r["ms_per_step_median"], r["ms_per_step_fastest"]
        print(
            f"width {width:>4}: ms/step median off {med['off']:.3f} on {med['on']:.3f} "
            f"(x{r['ratio_of_medians']:.3f}); fastest off {fast['off']:.3f} on {fast['on']:.3f}"
        )
    print(
        f"one check alone (all-reduce of five flags): {report['one check alone, ms (median of 5 x 200)']:.3f} ms"
    )


if __name__ == "__main__":
    main()
