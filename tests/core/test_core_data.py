"""Padding and collation: exact round trips, dtypes, errors, and the pairing with BucketBatchSampler."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from carrousel.core.data import BucketBatchSampler, SequenceCollator, collate, pad_sequences
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder


@pytest.mark.parametrize("trailing", [(), (3,), (2, 4)])
def test_pad_sequences_round_trip(trailing: tuple[int, ...]) -> None:
    lengths = [4, 0, 7, 1]
    seqs = [torch.randn(n, *trailing) for n in lengths]
    x, got = pad_sequences(seqs, padding_value=-1.5)
    assert x.shape == (4, 7, *trailing) and x.dtype == torch.float32
    assert got.dtype == torch.int64 and got.tolist() == lengths
    for i, (s, n) in enumerate(zip(seqs, lengths, strict=True)):
        assert torch.equal(x[i, :n], s)
        assert bool((x[i, n:] == -1.5).all())


def test_pad_sequences_all_empty() -> None:
    x, lengths = pad_sequences([torch.zeros(0, 2), np.zeros((0, 2), dtype=np.float32)])
    assert x.shape == (2, 0, 2) and lengths.tolist() == [0, 0]


def test_pad_sequences_numpy_inputs_and_dtypes() -> None:
    readonly = np.arange(3, dtype=np.int32)
    readonly.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "non-writable array" warning from torch
        x, lengths = pad_sequences([readonly, torch.tensor([7, 8], dtype=torch.int64)])
    assert x.dtype == torch.int64  # int32 and int64 promote to int64
    assert x.tolist() == [[0, 1, 2], [7, 8, 0]] and lengths.tolist() == [3, 2]
    x, _ = pad_sequences([np.ones(2)], dtype=torch.float32)
    assert x.dtype == torch.float32
    x, _ = pad_sequences([np.ones(2)])
    assert x.dtype == torch.float64  # kept unless asked otherwise


def test_pad_sequences_errors_name_the_item_and_the_fix() -> None:
    with pytest.raises(DataError, match="empty list"):
        pad_sequences([])
    with pytest.raises(DataError, match="item 1 is a list; pass torch tensors or numpy arrays"):
        pad_sequences([torch.zeros(2), [1, 2]])  # type: ignore[list-item]
    with pytest.raises(DataError, match="takes a list of arrays"):
        pad_sequences(torch.zeros(3, 2))  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match=r"item 2 has shape \(4, 3\) but item 0 has trailing dims \(2,\)"):
        pad_sequences([torch.zeros(1, 2), torch.zeros(5, 2), torch.zeros(4, 3)])
    with pytest.raises(ShapeError, match="item 0 is 0-d"):
        pad_sequences([torch.tensor(1.0)])
    with pytest.raises(DataError, match="object array"):
        pad_sequences([np.array([None, 1])])
    for err in (DataError, ShapeError):
        assert issubclass(err, ValueError)


def test_collator_inputs_only_and_scalar_labels() -> None:
    a, b = torch.randn(3, 2), torch.randn(5, 2)
    x, lengths = collate([(a,), (b,)])
    assert x.shape == (2, 5, 2) and lengths.tolist() == [3, 5]
    x2, lengths2 = collate([a, b])  # bare arrays
    assert torch.equal(x, x2) and torch.equal(lengths, lengths2)
    x, lengths, y = collate([(a, 1), (b, np.int64(0))])
    assert y.dtype == torch.int64 and y.tolist() == [1, 0]
    _, _, y = collate([(a, torch.tensor(0.5)), (b, 2.0)])
    assert y.dtype == torch.float32 and y.tolist() == [0.5, 2.0]


def test_collator_fixed_shape_and_sequence_targets() -> None:
    a, b = torch.randn(3, 2), torch.randn(5, 2)
    _, _, y = collate([(a, torch.ones(4)), (b, torch.zeros(4))])  # same shape, not per-step: stacked
    assert y.shape == (2, 4)
    x, lengths, y, y_lengths = collate([(a, torch.tensor([4, 5])), (b, np.array([6, 7, 8]))])
    assert x.shape == (2, 5, 2) and lengths.tolist() == [3, 5]
    assert y.tolist() == [[4, 5, -100], [6, 7, 8]] and y_lengths.tolist() == [2, 3]
    # Per-step targets as long as their inputs are sequences even when all lengths are equal.
    out = collate([(a, torch.arange(3)), (a, torch.arange(3))])
    assert len(out) == 4 and out[3].tolist() == [3, 3]
    # A batch of one is ambiguous: the explicit flag settles it.
    one = SequenceCollator(sequence_targets=True, target_padding_value=0)([(b, torch.tensor([1, 2]))])
    assert len(one) == 4 and one[2].tolist() == [[1, 2]] and one[3].tolist() == [2]
    with pytest.raises(ShapeError, match=r"target 1 has shape .* pass sequence_targets=True"):
        SequenceCollator(sequence_targets=False)([(a, torch.ones(2)), (b, torch.ones(3))])


def test_collator_errors() -> None:
    with pytest.raises(DataError, match="empty batch"):
        collate([])
    with pytest.raises(DataError, match="sample 1 has 1 items but sample 0 has 2"):
        collate([(torch.ones(2), 1), (torch.ones(2),)])
    with pytest.raises(DataError, match="sample 0 is a tuple of 3 items"):
        collate([(torch.ones(2), 1, 2)])
    with pytest.raises(DataError, match="sample 0 is a str"):
        collate(["abc"])


class _Ragged(Dataset):
    """Sample ``i`` is ``(x_i (T_i, 3), i)``: the label says which sample it was."""

    def __init__(self, lengths: list[int]) -> None:
        g = torch.Generator().manual_seed(1)
        self.xs = [torch.randn(n, 3, generator=g) for n in lengths]

    def __len__(self) -> int:
        return len(self.xs)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.xs[i], i


def test_bucket_sampler_loader_gives_minimal_padding_and_every_sample_once() -> None:
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 41, (203,), generator=g).tolist()
    data = _Ragged(lengths)
    sampler = BucketBatchSampler(lengths, batch_size=8, pool_factor=4, seed=3)
    seen: list[int] = []
    padding = 0
    for x, got_lengths, idx in DataLoader(data, batch_sampler=sampler, collate_fn=SequenceCollator()):
        assert x.shape[1] == int(got_lengths.max())  # padded to the batch's longest, no further
        for row, i in enumerate(idx.tolist()):
            n = lengths[i]
            assert got_lengths[row] == n
            assert torch.equal(x[row, :n], data.xs[i]) and bool((x[row, n:] == 0).all())
        padding += int((x.shape[1] - got_lengths).sum())
        seen += idx.tolist()
    assert sorted(seen) == list(range(len(lengths)))
    # Each pool of 32 is sorted before batching, so padding is the least any split of that pool gives...
    order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(3)).tolist()
    least = 0
    for start in range(0, len(order), 32):
        pool = sorted(lengths[i] for i in order[start : start + 32])
        least += sum(max(pool[b : b + 8]) - n for b in range(0, len(pool), 8) for n in pool[b : b + 8])
    assert padding == least
    # ...and far below what unbucketed batches of the same size carry.
    plain = sum(
        int((x.shape[1] - n).sum())
        for x, n, _ in DataLoader(data, batch_size=8, shuffle=False, collate_fn=collate)
    )
    assert padding < plain / 3


def test_collated_batch_feeds_recurrent_encoder() -> None:
    lengths = [6, 2, 9, 4]
    data = _Ragged(lengths)
    encoder = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=5, bidirectional=True)).eval()
    loader = DataLoader(
        data, batch_sampler=BucketBatchSampler(lengths, batch_size=4, shuffle=False), collate_fn=collate
    )
    x, got_lengths, idx = next(iter(loader))
    with torch.no_grad():
        out = encoder(x, got_lengths)
        for row, i in enumerate(idx.tolist()):
            alone = encoder(data.xs[i].unsqueeze(0))  # the same sequence without padding
            torch.testing.assert_close(out.last[row], alone.last[0], atol=1e-5, rtol=1e-5)
            assert bool((out.output[row, lengths[i] :] == 0).all())


# --------------------------------------------------------------------------- padding to a multiple
@pytest.mark.parametrize("multiple", [1, 4, 8])
def test_pad_sequences_to_a_multiple_keeps_values_and_lengths(multiple: int) -> None:
    seqs = [torch.randn(n, 3) for n in (5, 9, 1)]
    x, lengths = pad_sequences(seqs, padding_value=-2.0, multiple=multiple)
    assert x.shape[1] == -(-9 // multiple) * multiple and lengths.tolist() == [5, 9, 1]
    base, _ = pad_sequences(seqs, padding_value=-2.0)
    assert torch.equal(x[:, :9], base) and bool((x[:, 9:] == -2.0).all())
    if multiple == 1:
        assert x.shape == base.shape  # the default pads to the longest, as before


def test_collator_pads_inputs_and_targets_to_their_own_multiples() -> None:
    batch = [(torch.ones(3, 2), torch.tensor([1, 2])), (torch.ones(9, 2), torch.tensor([1, 2, 3, 4, 5]))]
    x, lengths, y, y_lengths = SequenceCollator(pad_to_multiple=8, target_pad_to_multiple=4)(batch)
    assert x.shape == (2, 16, 2) and lengths.tolist() == [3, 9]
    assert y.shape == (2, 8) and y_lengths.tolist() == [2, 5] and bool((y[1, 5:] == -100).all())
    x1, _, y1, _ = SequenceCollator(pad_to_multiple=8)(batch)  # targets: to their longest by default
    assert x1.shape == (2, 16, 2) and y1.shape == (2, 5)
    # a batch of equal-length targets is still told from per-step targets by the true lengths
    _, _, labels = SequenceCollator(pad_to_multiple=8)([(torch.ones(3), 1), (torch.ones(4), 0)])
    assert labels.tolist() == [1, 0]


def test_collator_default_is_bit_identical_to_padding_to_the_longest() -> None:
    batch = [(torch.randn(n, 2), torch.randint(0, 5, (n + 1,))) for n in (4, 7, 2)]
    got, want = SequenceCollator(sequence_targets=True)(batch), collate(batch)
    assert all(torch.equal(a, b) for a, b in zip(got, want, strict=True))
    assert got[0].shape == (3, 7, 2) and got[2].shape == (3, 8)


@pytest.mark.parametrize("bad", [0, -3])
def test_pad_multiple_below_one_is_a_clear_error(bad: int) -> None:
    with pytest.raises(ConfigError, match=r"pad_to_multiple=.*pass 1"):
        SequenceCollator(pad_to_multiple=bad)
    with pytest.raises(ConfigError, match="target_pad_to_multiple"):
        SequenceCollator(target_pad_to_multiple=bad)
    with pytest.raises(ConfigError, match=r"multiple=.*pass 1"):
        pad_sequences([torch.ones(2)], multiple=bad)
    with pytest.raises(ConfigError, match="not an integer"):
        SequenceCollator(pad_to_multiple=2.0)  # type: ignore[arg-type]


def test_encoder_outputs_are_exact_under_extra_padding() -> None:
    """Lengths, not the padded width, decide a length-aware encoder's valid outputs (padded or packed)."""
    torch.manual_seed(0)
    seqs = [torch.randn(n, 6) for n in (7, 3, 11)]
    for varlen in ("padded", "packed"):
        enc = RecurrentEncoder(RecurrentConfig(6, 5, cell="lstm", bidirectional=True, varlen=varlen)).eval()
        x1, lengths = pad_sequences(seqs)
        x16, _ = pad_sequences(seqs, multiple=16)
        a, b = enc(x1, lengths), enc(x16, lengths)
        assert torch.allclose(a.output, b.output[:, :11], atol=1e-6) and bool((b.output[:, 11:] == 0).all())
        assert torch.allclose(a.last, b.last, atol=1e-6)
