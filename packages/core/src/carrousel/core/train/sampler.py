"""Length-bucketed batch sampler: resumable, shardable across processes, deterministic per epoch.

Sequences of similar length end up in the same batch, so little padding is computed. Each epoch the
indices are shuffled with a generator seeded by ``seed + epoch``, cut into pools of
``batch_size * pool_factor`` indices, each pool is sorted by length and cut into batches, and the batch
order is shuffled again. The same ``(seed, epoch)`` always gives the same batches, on every process.

Under ``torch.distributed`` (or with explicit ``num_replicas``/``rank``) rank ``r`` takes batches
``r, r + R, r + 2R, ...`` of that list, trimmed to the same count on every rank (so all ranks step
together; fewer batches than ranks are repeated to one per rank, rather than trimmed to none); with ``even=False`` (what the trainer sets on its evaluation loaders) nothing is trimmed, so
every batch is evaluated once, on one rank. The trainer calls :meth:`set_epoch` each epoch and :meth:`skip` when resuming mid-epoch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError

__all__ = ["BucketBatchSampler"]


class BucketBatchSampler(Sampler[list[int]]):
    """Yields lists of dataset indices whose sequences have similar lengths.

    Args:
        lengths: ``(N,)`` length of every sample in the dataset.
        batch_size: samples per batch.
        shuffle: shuffle within the pools and the batch order (False: batches in sorted length order).
        drop_last: drop each pool's last incomplete batch.
        pool_factor: pool size in batches; larger pools give tighter length buckets, less randomness.
        seed: base seed of the per-epoch shuffle.
        num_replicas: processes to shard over (default: the torch.distributed world size, or 1).
        rank: this process's rank (default: the torch.distributed rank, or 0).
        even: with several ranks, trim to the same number of batches on each (training); False keeps
            every batch (evaluation, where the counts may differ by one).

    Example:
        >>> sampler = BucketBatchSampler([5, 3, 9, 4], batch_size=2, shuffle=False)
        >>> list(sampler)
        [[1, 3], [0, 2]]
    """

    @check_args
    def __init__(
        self,
        lengths: Sequence[int] | torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        pool_factor: int = 50,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
        even: bool = True,
    ) -> None:
        if batch_size < 1 or pool_factor < 1:
            raise ConfigError("batch_size and pool_factor must be >= 1")
        if num_replicas is not None and rank is not None and not 0 <= rank < num_replicas:
            raise ConfigError(f"rank {rank} is outside 0..{num_replicas - 1}")
        self._replicas, self._rank = num_replicas, rank
        self.lengths = torch.as_tensor(lengths, dtype=torch.long)
        if self.lengths.dim() != 1:
            raise ConfigError("lengths must be a 1-D sequence with one length per sample")
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.pool_factor, self.seed, self.even = pool_factor, seed, even
        self.epoch = 0
        self._skip = 0

    @property
    def num_replicas(self) -> int:
        """Processes sharing the batches (read from torch.distributed at use time unless given)."""
        if self._replicas is not None:
            return self._replicas
        return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1

    @property
    def rank(self) -> int:
        """This process's shard (read from torch.distributed at use time unless given)."""
        if self._rank is not None:
            return self._rank
        return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0

    @check_args
    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch whose order the next iteration yields."""
        self.epoch = epoch

    @check_args
    def skip(self, batches: int) -> None:
        """Makes the next iteration start after its first ``batches`` batches (mid-epoch resume)."""
        self._skip = batches

    def state_dict(self) -> dict[str, int]:
        """The position to save: epoch and seed (the trainer saves the batch count itself)."""
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restores :meth:`state_dict`."""
        self.epoch, self.seed = int(state["epoch"]), int(state["seed"])

    def _all_batches(self) -> list[list[int]]:
        n = len(self.lengths)
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(n, generator=gen) if self.shuffle else torch.arange(n)
        pool = self.batch_size * self.pool_factor
        batches: list[list[int]] = []
        for start in range(0, n, pool):
            idx = order[start : start + pool]
            idx = idx[torch.argsort(self.lengths[idx], stable=True)]
            for b in range(0, len(idx), self.batch_size):
                chunk = idx[b : b + self.batch_size]
                if len(chunk) < self.batch_size and self.drop_last:
                    continue
                batches.append(chunk.tolist())
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]
        return batches

    def _rank_batches(self) -> list[list[int]]:
        batches, R = self._all_batches(), self.num_replicas
        if R > 1 and self.even and 0 < len(batches) < R:  # too few to trim: repeated, so every rank trains
            batches = (batches * R)[:R]
        per_rank = len(batches) // R if R > 1 and self.even else len(batches)
        return batches[self.rank :: R][:per_rank]

    def __iter__(self) -> Iterator[list[int]]:
        skip, self._skip = self._skip, 0
        yield from self._rank_batches()[skip:]

    def __len__(self) -> int:
        return len(self._rank_batches())
