"""Two processes on CPU through torchrun (gloo): identical weights on both ranks, loss falls, rank-zero
checkpoints, sharded data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from carrousel.core.atomic import discarding_writes
from carrousel.core.train import BucketBatchSampler, find_latest
from carrousel.core.train.distributed import (
    DistEnv,
    all_gather_objects,
    detect,
    joined,
    leave_to_rank_zero,
    results_discarded,
    shard_loader,
    shard_streams,
)

HERE = Path(__file__).parent


def test_torchrun_two_processes_agree_and_learn(tmp_path: Path) -> None:
    out, ckpt = tmp_path / "out", tmp_path / "ckpt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(HERE / "train_script.py"),
        str(out),
        "--ckpt",
        str(ckpt),
        "--epochs",
        "5",
        "--accumulate",
        "2",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    w0, w1 = (
        load_file(str(out / "weights-rank0.safetensors")),
        load_file(str(out / "weights-rank1.safetensors")),
    )
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    h0 = json.loads((out / "history-rank0.json").read_text())
    h1 = json.loads((out / "history-rank1.json").read_text())
    assert h0 == [{**r, "epoch_time": h0[i]["epoch_time"]} for i, r in enumerate(h1)]  # reduced: same logs
    losses = [h["train_loss"] for h in h0]
    assert losses[-1] < 0.8 * losses[0]
    assert h0[-1]["val_accuracy"] > 0.4  # chance is 0.25
    latest = find_latest(ckpt)
    assert latest is not None and torch.load(latest, weights_only=True)["world_size"] == 2
    # 480 samples / 16 per batch = 30 batches, 15 per rank; accumulating 2: 8 steps per epoch, the last
    # one flushing a half window whose gradients DDP did not reduce (identical weights prove they were)
    assert latest.name == "ckpt-0005-000000040.pt"


def test_shard_loader_rebuilds_with_distributed_sampler() -> None:
    data = TensorDataset(torch.arange(10).float())
    loader = DataLoader(data, batch_size=2, shuffle=True)
    assert shard_loader(loader, DistEnv(), seed=0) is loader  # single process: unchanged
    parts = [shard_loader(loader, DistEnv(rank=r, world_size=2), seed=0) for r in range(2)]
    seen = [sorted(int(v) for (b,) in p for v in b) for p in parts]
    assert sorted(seen[0] + seen[1]) == list(range(10)) and len(seen[0]) == 5
    assert detect().world_size == 1


def test_shard_loader_splits_a_sampler_of_whole_batches() -> None:
    """A loader of whole batches (``batch_size=None``, a BatchSampler as its sampler: finance's panels) was
    left unsharded, every rank training on every batch; now rank r takes batches r, r + 2...,
    the same count on each rank (5 batches: 3 and 3, one repeated), all batches covered."""
    data = TensorDataset(torch.arange(10).float())

    def batches() -> DataLoader[Any]:
        sampler = BatchSampler(RandomSampler(data, generator=torch.Generator().manual_seed(0)), 2, False)
        return DataLoader(data, sampler=sampler, batch_size=None)

    full = [b[0].tolist() for b in batches()]
    parts = [shard_loader(batches(), DistEnv(rank=r, world_size=2), seed=0) for r in range(2)]
    seen = [[b[0].tolist() for b in p] for p in parts]
    assert [len(s) for s in seen] == [3, 3] and [len(p) for p in parts] == [3, 3]
    assert sorted(seen[0] + seen[1][:2]) == sorted(full)  # rank 1's third batch repeats the first
    evaluation = [
        shard_loader(batches(), DistEnv(rank=r, world_size=2), 0, evaluation=True) for r in range(2)
    ]
    assert sorted(b[0].tolist() for p in evaluation for b in p) == sorted(full)  # each batch once


def test_shard_loader_for_evaluation_cuts_and_repeats_nothing() -> None:
    """Validation on 40 rows in one bucketed batch of 256 held no batch on either rank (trimmed to the same
    count), so ``nlp sentiment train`` and ``speech train`` failed under torchrun; a map-style loader was
    padded (a sample counted twice). Now every sample is evaluated exactly once across the ranks."""
    data = TensorDataset(torch.arange(40).float())

    def bucketed(rank: int) -> DataLoader[Any]:
        return DataLoader(
            data, batch_sampler=BucketBatchSampler([1] * 40, 256, False, num_replicas=2, rank=rank)
        )

    assert len(bucketed(0)) == len(bucketed(1)) == 1  # training: the one batch repeated, the ranks in step
    parts = [shard_loader(bucketed(r), DistEnv(rank=r, world_size=2), 0, evaluation=True) for r in range(2)]
    assert [len(p) for p in parts] == [1, 0]
    assert sorted(int(v) for p in parts for (b,) in p for v in b) == list(range(40))
    plain = DataLoader(TensorDataset(torch.arange(5).float()), batch_size=2)
    parts = [shard_loader(plain, DistEnv(rank=r, world_size=2), 0, evaluation=True) for r in range(2)]
    assert sorted(int(v) for p in parts for (b,) in p for v in b) == list(range(5))  # not 6: none twice


def test_shard_streams_gives_each_rank_its_own_rows() -> None:
    batches = [{"x": torch.arange(8).view(4, 2) + 10 * i} for i in range(3)]
    assert shard_streams(batches) is batches  # single process: unchanged
    parts = [shard_streams(batches, DistEnv(rank=r, world_size=2)) for r in range(2)]
    assert [len(p) for p in parts] == [3, 3]  # the batch order (time) is kept
    assert torch.equal(parts[1][2]["x"], batches[2]["x"][1::2])
    assert shard_streams(batches, DistEnv(rank=0, world_size=8)) is batches  # fewer rows than ranks


def test_leave_to_rank_zero_ends_only_a_rank_whose_outputs_are_discarded(monkeypatch: Any) -> None:
    """Before: after training every torchrun rank of a command line scored, calibrated and reported again
    (bio's null calibration, nlp's threshold and perplexity, finance's held-out scores), for outputs thrown
    away. Now a non-zero rank inside the CLI's discarding_writes ends there (exit 0); nowhere else."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    leave_to_rank_zero()  # a script under torchrun: every rank keeps its full result
    assert not results_discarded()
    with discarding_writes(), pytest.raises(SystemExit) as done:
        assert results_discarded()
        leave_to_rank_zero()
    assert done.value.code == 0
    monkeypatch.setenv("RANK", "0")
    with discarding_writes():
        assert not results_discarded()
        leave_to_rank_zero()  # rank zero goes on


def test_joined_and_all_gather_objects_without_a_process_group(monkeypatch: Any) -> None:
    """Launched by torchrun but no group joined (nothing trained): rank 0 of 1 and its own object back, so a
    caller sharing work out by them does it all itself and waits for no other rank (the multi-rank case:
    tests/finance/test_finance_torchrun.py)."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert detect() == DistEnv(rank=1, world_size=2)
    assert joined() == DistEnv()
    assert all_gather_objects({"AAPL": [1.5]}) == [{"AAPL": [1.5]}]
