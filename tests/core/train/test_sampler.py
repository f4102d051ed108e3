"""BucketBatchSampler: tight length buckets, full coverage, per-epoch determinism, sharding, skipping."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import ConfigError
from carrousel.core.train import BucketBatchSampler


def lengths(n: int = 1000) -> torch.Tensor:
    return torch.randint(1, 200, (n,), generator=torch.Generator().manual_seed(0))


def test_covers_every_index_once_with_little_padding() -> None:
    lens = lengths()
    batches = list(BucketBatchSampler(lens, 16, pool_factor=20))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    padded = sum(len(b) * int(lens[b].max()) for b in batches)
    random_batches = torch.randperm(1000, generator=torch.Generator().manual_seed(1)).split(16)
    padded_random = sum(len(b) * int(lens[b].max()) for b in random_batches)
    assert padded < 0.7 * padded_random  # bucketing computes far fewer padded steps than random batches
    assert padded < 1.1 * int(lens.sum())


def test_same_epoch_same_order_new_epoch_new_order() -> None:
    s = BucketBatchSampler(lengths(), 16)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first
    assert list(BucketBatchSampler(lengths(), 16, shuffle=False)) == list(
        BucketBatchSampler(lengths(), 16, shuffle=False)
    )


@pytest.mark.parametrize("world", [2, 3])
def test_shards_are_disjoint_and_equal_sized(world: int) -> None:
    shards = [list(BucketBatchSampler(lengths(), 16, num_replicas=world, rank=r)) for r in range(world)]
    assert len({len(s) for s in shards}) == 1
    seen = [i for s in shards for b in s for i in b]
    assert len(seen) == len(set(seen))
    assert len(seen) >= 1000 - world * 16  # at most one batch per rank trimmed


def test_fewer_batches_than_ranks_give_every_rank_one_rather_than_none() -> None:
    """Trimmed to the same count, 3 batches over 4 ranks had left every rank with none: nothing trained."""
    shards = [
        list(BucketBatchSampler(list(range(1, 13)), 4, shuffle=False, num_replicas=4, rank=r))
        for r in range(4)
    ]
    assert [len(s) for s in shards] == [1, 1, 1, 1]
    assert {i for s in shards[:3] for b in s for i in b} == set(range(12))  # each batch once, then repeated
    assert shards[3] == shards[0]
    evaluation = [
        BucketBatchSampler(list(range(1, 13)), 4, num_replicas=4, rank=r, even=False) for r in range(4)
    ]
    assert [len(s) for s in evaluation] == [1, 1, 1, 0]  # evaluation: every batch once, nothing repeated


def test_skip_resumes_mid_epoch_once() -> None:
    s = BucketBatchSampler(lengths(), 16)
    full = list(s)
    s.skip(5)
    assert list(s) == full[5:]
    assert list(s) == full  # the skip applies to one iteration only
    assert len(s) == len(full)


def test_drop_last_and_bad_args() -> None:
    batches = list(BucketBatchSampler(list(range(10)), 4, drop_last=True, shuffle=False))
    assert all(len(b) == 4 for b in batches)
    with pytest.raises(ConfigError):
        BucketBatchSampler([1, 2], 0)
    with pytest.raises(ConfigError):
        BucketBatchSampler([1, 2], 1, num_replicas=2, rank=2)
