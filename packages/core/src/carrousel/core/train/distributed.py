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

import copy
import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, IterableDataset, RandomSampler, Sampler

from carrousel.core.args import check_args
from carrousel.core.atomic import writes_discarded
from carrousel.core.errors import error_line, rank_failure

__all__ = [
    "DistEnv",
    "all_gather_objects",
    "all_reduce_sum",
    "any_flags",
    "average_gradients",
    "barrier",
    "broadcast_flag",
    "detect",
    "host_any_flags",
    "init_distributed",
    "is_rank_zero",
    "joined",
    "leave_to_rank_zero",
    "raise_any_failure",
    "release_host_group",
    "results_discarded",
    "shard_loader",
    "shard_streams",
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


@check_args
def shard_loader(loader: Any, env: DistEnv, seed: int, evaluation: bool = False) -> Any:
    """Returns a loader whose samples are split across ranks.

    A batch sampler or sampler that shards itself (has ``num_replicas``, like
    :class:`~carrousel.core.train.sampler.BucketBatchSampler` or ``DistributedSampler``) is kept as it is
    (for ``evaluation`` one with ``even`` gets ``even=False``: no batch trimmed away). A map-style
    ``DataLoader`` with a ``batch_size`` is rebuilt around a ``DistributedSampler`` for training (shuffling
    when the original shuffled; it pads to a multiple of the world size by repeating a few samples, so
    all ranks take the same number of steps). Any other ``DataLoader`` (a custom batch sampler, or a
    sampler of whole batches with ``batch_size=None``) is sharded by batches: rank ``r`` takes batches
    ``r, r + R, ...`` of the sampler's order, drawn with the same seed on every rank, padded for training
    by repeating the first batches. For ``evaluation`` nothing is padded: every sample counts once.
    Loaders of other types and iterable datasets are returned unchanged and must shard themselves.
    """
    if not env.enabled or not isinstance(loader, DataLoader):
        return loader
    if isinstance(loader.dataset, IterableDataset):
        logger.warning("iterable datasets must shard themselves (by RANK/WORLD_SIZE); loader left as is")
        return loader
    for name in ("batch_sampler", "sampler"):
        part: Any = getattr(loader, name)
        if part is not None and hasattr(part, "num_replicas"):
            if evaluation and getattr(part, "even", False):
                part = copy.copy(part)
                part.even = False
                return _rebuild(loader, **{name: part})
            return loader
    if loader.batch_size is None:
        custom = loader.batch_sampler is not None
        strided = _Strided(loader.batch_sampler if custom else loader.sampler, env, seed, not evaluation)
        return _rebuild(loader, batch_sampler=strided) if custom else _rebuild(loader, sampler=strided)
    sampler: Sampler[Any] = _Strided(loader.sampler, env, seed, even=False)
    if not evaluation:
        sampler = DistributedSampler(
            loader.dataset,  # type: ignore[arg-type]
            num_replicas=env.world_size,
            rank=env.rank,
            shuffle=isinstance(loader.sampler, RandomSampler),
            seed=seed,
            drop_last=loader.drop_last,
        )
    return _rebuild(loader, sampler=sampler)


class _Strided(Sampler[Any]):
    """Entries ``rank, rank + R, ...`` of what ``inner`` yields (indices or whole batches), drawn under the
    global RNG seeded by ``seed + epoch`` (the same order on every rank; the process's RNG is left as it
    was); ``even``: padded by wrapping around, so that every rank yields ``ceil(n / R)`` entries."""

    def __init__(self, inner: Any, env: DistEnv, seed: int, even: bool) -> None:
        self.inner, self.rank, self.world, self.seed, self.even = inner, env.rank, env.world_size, seed, even
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.inner, "set_epoch"):
            self.inner.set_epoch(epoch)

    def __iter__(self) -> Iterator[Any]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + self.epoch)
            entries = list(self.inner)
        mine = entries[self.rank :: self.world]
        if self.even:
            mine += entries[: math.ceil(len(entries) / self.world) - len(mine)]
        return iter(mine)

    def __len__(self) -> int:
        n = len(self.inner)
        return math.ceil(n / self.world) if self.even else len(range(self.rank, n, self.world))


def _rebuild(loader: DataLoader[Any], **part: Any) -> DataLoader[Any]:
    """``loader`` with another ``sampler`` (keeping its batch size) or ``batch_sampler``."""
    batching: dict[str, Any] = {}
    if "batch_sampler" not in part:
        batching = {"batch_size": loader.batch_size, "drop_last": loader.drop_last}
    return DataLoader(
        loader.dataset,
        **part,
        **batching,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        persistent_workers=loader.persistent_workers,
    )


def shard_streams(batches: list[dict[str, torch.Tensor]], env: DistEnv | None = None) -> list[dict[str, Any]]:
    """Rows ``rank, rank + R, ...`` of every batch of parallel streams (row ``b`` of batch ``i + 1``
    continuing row ``b`` of batch ``i``, a state carried along), so each rank trains on its own streams in
    the same batch order. Unchanged in single-process runs or with fewer rows than ranks.

    Args:
        batches: dicts of tensors ``(streams, ...)``.
        env: the process's place (default: :func:`detect`).
    """
    env = env or detect()
    if not env.enabled or not batches or min(len(v) for b in batches for v in b.values()) < env.world_size:
        return batches
    return [{k: v[env.rank :: env.world_size].contiguous() for k, v in b.items()} for b in batches]


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sums a list of floats over all ranks (identity in single-process runs)."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


@check_args
def broadcast_flag(flag: bool, device: torch.device) -> bool:
    """True on every rank when ``flag`` is True on any rank."""
    return any_flags([flag], device)[0]


def any_flags(flags: Sequence[bool], device: torch.device) -> list[bool]:
    """Each of ``flags`` True on every rank when it is True on any rank: one all-reduce for them all
    (``flags`` as given in single-process runs). A collective: every rank calls it, with as many flags."""
    return _max_flags(flags, device, None)


def _max_flags(flags: Sequence[bool], device: torch.device, group: Any) -> list[bool]:
    """:func:`any_flags` over ``group`` (None: the default group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return [bool(flag) for flag in flags]
    t = torch.tensor([1.0 if flag else 0.0 for flag in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX, group=group)
    return [value > 0 for value in t.tolist()]


# [default group, its gloo twin]: the current default group's only (a default group destroyed and made
# again is another object, its twin gone with it); the default group kept alive, compared with ``is``
_HOST_GROUP: list[Any] = [None, None]


def host_any_flags(flags: Sequence[bool]) -> list[bool]:
    """:func:`any_flags` reduced on the CPU, for checks made every batch: under ``nccl`` over a ``gloo``
    group made once per default group (``new_group`` is a collective, so the first call must come at the
    same point on every rank, as every call does), so the check never waits for the GPU's queued work as a
    CUDA tensor's ``.tolist()`` would; under ``gloo`` over the default group; on the device where no
    ``gloo`` exists. A collective: every rank calls it, with as many flags."""
    if not (dist.is_available() and dist.is_initialized()):
        return [bool(flag) for flag in flags]
    group = None
    if dist.get_backend() != "gloo":
        if not dist.is_gloo_available():
            return any_flags(flags, torch.device("cuda", torch.cuda.current_device()))
        if _HOST_GROUP[0] is not dist.group.WORLD:
            _HOST_GROUP[:] = [dist.group.WORLD, dist.new_group(backend="gloo")]
        group = _HOST_GROUP[1]
    return _max_flags(flags, torch.device("cpu"), group)


def release_host_group() -> None:
    """Drops this module's hold on :func:`host_any_flags`' gloo twin (and its default group), to be called
    once the group is destroyed: a destroyed twin still held here was freed only in the interpreter's exit
    teardown, where gloo aborted the process (``terminate called without an active exception``, 3 runs in
    12 of the two-rank leave test, each rank after its last output; 0 in 12 with the hold dropped)."""
    _HOST_GROUP[:] = [None, None]


def average_gradients(params: list[torch.Tensor]) -> None:
    """Averages ``.grad`` of ``params`` over all ranks in place (for gradients DDP did not reduce)."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    world = dist.get_world_size()
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)


def joined() -> DistEnv:
    """This process's place in the default process group it has joined; rank 0 of 1 when it has joined none
    (one process, or ``torchrun`` before any training): what to share work out by, where every rank must
    then meet at :func:`all_gather_objects`."""
    if dist.is_available() and dist.is_initialized():
        return DistEnv(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    return DistEnv()


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's picklable ``obj``, in rank order, on every rank (``[obj]`` when no process group is
    joined). A collective step: every rank of the group must call it, the same number of times."""
    if not (dist.is_available() and dist.is_initialized()):
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def raise_any_failure(failure: Exception | None, what: str) -> None:
    """Raises on every rank once ``what`` failed on any, as the ranks agreed (a flag reduced with their
    figures, so that all call this together): ``failure`` itself on a rank where it failed, else a
    :class:`~carrousel.core.errors.CarrouselError` naming the first rank that failed and its error. A
    collective (one gather of the errors' lines): only where every rank knows one failed."""
    lines = all_gather_objects(None if failure is None else error_line(failure))
    if failure is not None:
        raise failure
    rank, line = next((r, x) for r, x in enumerate(lines) if x is not None)
    raise rank_failure(what, rank, line)


def barrier() -> None:
    """Waits for every rank (no-op in single-process runs)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def results_discarded() -> bool:
    """True on a rank other than zero of a command line under ``torchrun``
    (:mod:`carrousel.core.cli_ranks`): what it prints or writes is thrown away, so past its part in the
    collective steps it need not compute any result (False in one process, or in a script or notebook).
    """
    return detect().rank != 0 and writes_discarded()


def leave_to_rank_zero() -> None:
    """Ends this process (exit 0) when its outputs are discarded and its part is done: a rank other than
    zero of a command line under ``torchrun`` (:mod:`carrousel.core.cli_ranks`), past the last collective
    step. Called after training, so that the scoring, calibration and reports that only make the printed
    and written results run on rank zero alone, not again on every rank. A no-op anywhere else (one
    process, or a script or notebook under ``torchrun``: every rank returns its full result).

    In a process group every rank calls it at the same point, past its last collective step: the ranks first
    tell each other whether any of them leaves, then wait for one another (a barrier) before one leaves the
    group. When any leaves, every rank leaves the group, rank zero included: no collective step can follow
    with a rank gone, and a second call on rank zero must not wait for it. Before, a non-zero rank destroyed
    the group at once, rank zero perhaps still in the last collective step with it: gloo aborted the process
    (``terminate called without an active exception``), seen 1 run in 7 with ``host_any_flags``' twin group.
    """
    leaving = results_discarded()
    in_group = dist.is_available() and dist.is_initialized()
    if in_group and any(all_gather_objects(leaving)):  # a collective step: every rank is here
        dist.barrier()  # every rank done with every step before any group goes
        dist.destroy_process_group()  # here, not in the exit's teardown (a gloo group left there can
        # SIGABRT), nor left to rank zero's: its peers are gone
        release_host_group()
    if leaving:
        logger.info("rank %d: training done, the rest is rank zero's", detect().rank)
        raise SystemExit(0)
