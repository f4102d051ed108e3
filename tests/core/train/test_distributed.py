"""Two processes on CPU through torchrun (gloo): identical weights on both ranks, loss falls, rank-zero
checkpoints, sharded data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.train import find_latest
from carrousel.core.train.distributed import DistEnv, detect, shard_loader

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
