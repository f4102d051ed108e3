"""torch.distributed helpers: launch detection, process groups, loader sharding and reductions.

The trainer runs the same code in one process and under ``torchrun``. When the ``WORLD_SIZE``/``RANK``/
``LOCAL_RANK`` variables set by ``torchrun`` say more than one process runs, :func:`init_distributed`
joins the process group (``nccl`` with CUDA, else ``gloo``), each process takes ``cuda:LOCAL_RANK`` (or
the CPU), the model is wrapped in DDP, loaders are sharded, losses and metrics are reduced across ranks
and only rank zero writes checkpoints, logs and the progress bar.

Multi-node launch (run on every node, ``--node_rank`` 0..N-1)::

    torchrun --nnodes 2 --nproc_per_node 8 --node_rank 0 \\
        --rdzv_backend c10d --rdzv_endpoint HOST0:29500 train.py
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, IterableDataset, RandomSampler

__all__ = [
    "DistEnv",
    "all_reduce_sum",
    "average_gradients",
    "barrier",
    "broadcast_flag",
    "detect",
    "init_distributed",
    "is_rank_zero",
    "shard_loader",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistEnv:
    """Where this process stands in a multi-process run."""

    rank: int = 0  # global rank of this process
    world_size: int = 1  # number of processes
    local_rank: int = 0  # rank on this node (selects cuda:LOCAL_RANK)

    @property
    def enabled(self) -> bool:
        """True when more than one process trains."""
        return self.world_size > 1


def detect() -> DistEnv:
    """Reads the environment variables set by ``torchrun`` (or an initialised process group)."""
    if dist.is_available() and dist.is_initialized():
        return DistEnv(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return DistEnv(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))


def is_rank_zero() -> bool:
    """True in single-process runs and on global rank zero."""
    return detect().rank == 0


def init_distributed(device: torch.device) -> DistEnv:
    """Joins the default process group when launched with more than one process.

    Args:
        device: the device picked for this process; CUDA selects the ``nccl`` backend, else ``gloo``.

    Returns:
        The :class:`DistEnv` of this process.
    """
    env = detect()
    if env.enabled and dist.is_available() and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
        logger.info("joined process group: rank %d of %d (%s)", env.rank, env.world_size, backend)
    return env


def shard_loader(loader: Any, env: DistEnv, seed: int) -> Any:
    """Returns a loader whose samples are split across ranks.

    A batch sampler or sampler that shards itself (has ``num_replicas``, like
    :class:`~carrousel.core.train.sampler.BucketBatchSampler` or ``DistributedSampler``) is kept as it is;
    otherwise a map-style ``DataLoader`` is rebuilt around a ``DistributedSampler`` (shuffling when the
    original shuffled). Loaders of other types and iterable datasets are returned unchanged and must
    shard themselves. ``DistributedSampler`` pads the data to a multiple of the world size by repeating a
    few samples, so validation figures under torchrun may count up to ``world_size - 1`` samples twice.
    """
    if not env.enabled or not isinstance(loader, DataLoader):
        return loader
    if isinstance(loader.dataset, IterableDataset):
        logger.warning("iterable datasets must shard themselves (by RANK/WORLD_SIZE); loader left as is")
        return loader
    for part in (loader.batch_sampler, loader.sampler):
        if part is not None and hasattr(part, "num_replicas"):
            return loader
    if loader.batch_size is None:
        logger.warning("loader with a custom batch_sampler cannot be sharded; every rank sees all batches")
        return loader
    sampler: DistributedSampler[Any] = DistributedSampler(
        loader.dataset,  # type: ignore[arg-type]
        num_replicas=env.world_size,
        rank=env.rank,
        shuffle=isinstance(loader.sampler, RandomSampler),
        seed=seed,
        drop_last=loader.drop_last,
    )
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=sampler,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        persistent_workers=loader.persistent_workers,
    )


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sums a list of floats over all ranks (identity in single-process runs)."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def broadcast_flag(flag: bool, device: torch.device) -> bool:
    """True on every rank when ``flag`` is True on any rank."""
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def average_gradients(params: list[torch.Tensor]) -> None:
    """Averages ``.grad`` of ``params`` over all ranks in place (for gradients DDP did not reduce)."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    world = dist.get_world_size()
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)


def barrier() -> None:
    """Waits for every rank (no-op in single-process runs)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
