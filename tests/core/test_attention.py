"""Attention and pooling: shapes, exact masking, oracles, gradients and a small learning test."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import (
    AdditiveAttention,
    AttentionPooling,
    MultiplicativeAttention,
    Pooling,
    RecurrentConfig,
    RecurrentEncoder,
    last_pool,
    mask_from_lengths,
    masked_softmax,
    max_pool,
    mean_pool,
)

LENGTHS = torch.tensor([7, 3, 1, 5])
B, TK, DK, DQ = 4, 7, 6, 5


def _repad(x: torch.Tensor, lengths: torch.Tensor, value: float | None = None) -> torch.Tensor:
    """Returns ``x`` with every step past its length replaced by large noise (or ``value``)."""
    mask = mask_from_lengths(lengths, x.shape[1], x.device).unsqueeze(-1)
    junk = torch.randn_like(x) * 1e3 if value is None else torch.full_like(x, value)
    return torch.where(mask, x, junk)


def _attentions(dq: int = DQ, dk: int = DK) -> list[AdditiveAttention | MultiplicativeAttention]:
    return [
        AdditiveAttention(dq, dk, 8),
        MultiplicativeAttention(dq, dk, "general"),
        MultiplicativeAttention(dq, dk, "general", scaled=True),
    ]


def test_mask_from_lengths() -> None:
    m = mask_from_lengths(torch.tensor([2, 0, 3]), 3)
    assert m.tolist() == [[True, True, False], [False, False, False], [True, True, True]]


def test_masked_softmax_zero_weight_sum_one_and_empty_rows() -> None:
    scores = torch.randn(3, 5, requires_grad=True)
    mask = torch.tensor([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    w = masked_softmax(scores, mask)
    assert torch.equal(w[~mask], torch.zeros(int((~mask).sum())))
    torch.testing.assert_close(w.sum(-1), torch.tensor([1.0, 0.0, 1.0]))
    torch.testing.assert_close(w[0, mask[0]], torch.softmax(scores[0, mask[0]], -1))
    (w * torch.randn(3, 5)).sum().backward()
    assert scores.grad is not None and torch.isfinite(scores.grad).all()
    assert torch.equal(scores.grad[~mask], torch.zeros(int((~mask).sum())))


@pytest.mark.parametrize("multi", [False, True], ids=["one_query", "query_per_step"])
def test_attention_shapes_weights_and_masking(device: torch.device, multi: bool) -> None:
    keys = torch.randn(B, TK, DK, device=device)
    values = torch.randn(B, TK, 3, device=device)
    query = torch.randn(B, 2, DQ, device=device) if multi else torch.randn(B, DQ, device=device)
    valid = mask_from_lengths(LENGTHS, TK, device)
    for att in _attentions():
        att.to(device)
        out = att(query, keys, values, lengths=LENGTHS)
        lead = (B, 2) if multi else (B,)
        assert out.context.shape == (*lead, 3) and out.weights.shape == (*lead, TK)
        w = out.weights if multi else out.weights.unsqueeze(1)
        torch.testing.assert_close(w.sum(-1), torch.ones(B, w.shape[1], device=device))
        assert bool((w.masked_select(~valid.unsqueeze(1)) == 0).all()), "masked keys must get exactly 0"
        # a mask gives the same as lengths; changing the padding changes nothing
        by_mask = att(query, keys, values, mask=valid)
        torch.testing.assert_close(by_mask.context, out.context, rtol=0, atol=0)
        repadded = att(query, _repad(keys, LENGTHS), _repad(values, LENGTHS, float("nan")), lengths=LENGTHS)
        torch.testing.assert_close(repadded.context, out.context, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(repadded.weights, out.weights, rtol=1e-6, atol=1e-6)


def test_values_default_to_keys_and_no_mask_attends_everywhere() -> None:
    att = MultiplicativeAttention(DK, DK, "dot")
    keys, q = torch.randn(B, TK, DK), torch.randn(B, DK)
    out = att(q, keys)
    assert bool((out.weights > 0).all())
    torch.testing.assert_close(out.context, (out.weights.unsqueeze(-1) * keys).sum(1))


def test_dot_attention_matches_scaled_dot_product_attention() -> None:
    q, k, v = torch.randn(B, 3, DK), torch.randn(B, TK, DK), torch.randn(B, TK, 4)
    valid = mask_from_lengths(LENGTHS, TK)
    ours = MultiplicativeAttention(DK, DK, "dot", scaled=True)(q, k, v, mask=valid)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=valid.unsqueeze(1))
    torch.testing.assert_close(ours.context, ref)


def test_general_and_additive_match_their_formulas() -> None:
    q, k = torch.randn(B, DQ), torch.randn(B, TK, DK)
    gen = MultiplicativeAttention(DQ, DK, "general")
    add = AdditiveAttention(DQ, DK, 8)
    W = gen.weight.weight  # type: ignore[union-attr]
    for b in range(B):
        n = int(LENGTHS[b])
        kb = k[b, :n]
        ref_gen = torch.softmax(torch.stack([q[b] @ W @ kb[t] for t in range(n)]), 0)
        hidden = [torch.tanh(add.query_proj.weight @ q[b] + add.key_proj(kb[t])) for t in range(n)]
        ref_add = torch.softmax(torch.stack([add.score.weight[0] @ h for h in hidden]), 0)
        torch.testing.assert_close(gen(q, k, lengths=LENGTHS).weights[b, :n], ref_gen)
        torch.testing.assert_close(add(q, k, lengths=LENGTHS).weights[b, :n], ref_add)


def test_precomputed_keys_and_step_queries_agree() -> None:
    q, k = torch.randn(B, 3, DQ), torch.randn(B, TK, DK)
    for att in _attentions():
        full = att(q, k, lengths=LENGTHS)
        pk = att.project_keys(k)
        for step in range(3):  # a decoding loop: one query per step, keys projected once
            one = att(q[:, step], k, lengths=LENGTHS, projected_keys=pk)
            torch.testing.assert_close(one.context, full.context[:, step])
            torch.testing.assert_close(one.weights, full.weights[:, step])


def test_gradients_flow_to_query_keys_values_and_parameters() -> None:
    q = torch.randn(B, DQ, requires_grad=True)
    k = torch.randn(B, TK, DK, requires_grad=True)
    v = torch.randn(B, TK, 3, requires_grad=True)
    for att in _attentions():
        for t in (q, k, v):
            t.grad = None
        att(q, k, v, lengths=LENGTHS).context.pow(2).sum().backward()
        for t in (q, k, v):
            assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
        pad = ~mask_from_lengths(LENGTHS, TK)
        assert torch.equal(k.grad[pad], torch.zeros_like(k.grad[pad]))  # type: ignore[index]
        for name, p in att.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_attention_rejects_bad_configs_and_shapes() -> None:
    with pytest.raises(ConfigError, match="general"):
        MultiplicativeAttention(4, 5, "dot")
    with pytest.raises(ConfigError, match="'dot' or 'general'"):
        MultiplicativeAttention(4, 4, "concat")
    att = AdditiveAttention(DQ, DK)
    with pytest.raises(ShapeError, match="query"):
        att(torch.randn(B + 1, DQ), torch.randn(B, TK, DK))
    with pytest.raises(ShapeError, match="lengths"):
        att(torch.randn(B, DQ), torch.randn(B, TK, DK), lengths=torch.tensor([1, 2]))
    with pytest.raises(ShapeError, match="mask"):
        att(torch.randn(B, DQ), torch.randn(B, TK, DK), mask=torch.ones(B, TK + 1, dtype=torch.bool))


# ---------------------------------------------------------------- pooling


def test_mean_and_max_pool_match_per_sequence_oracle(device: torch.device) -> None:
    x = torch.randn(B, TK, 3, device=device)
    mean, mx = mean_pool(x, LENGTHS), max_pool(x, LENGTHS)
    for b in range(B):
        n = int(LENGTHS[b])
        torch.testing.assert_close(mean[b], x[b, :n].mean(0))
        torch.testing.assert_close(mx[b], x[b, :n].amax(0))
    torch.testing.assert_close(mean_pool(x), x.mean(1))
    torch.testing.assert_close(max_pool(x), x.amax(1))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_pool_equals_encoder_last_state(bidirectional: bool) -> None:
    enc = RecurrentEncoder(RecurrentConfig(3, 5, cell="gru", num_layers=2, bidirectional=bidirectional))
    out = enc(torch.randn(B, TK, 3), lengths=LENGTHS)
    pooled = last_pool(out.output, LENGTHS, directions=enc.config.directions)
    torch.testing.assert_close(pooled, out.last)
    mask = mask_from_lengths(LENGTHS, TK)
    torch.testing.assert_close(last_pool(out.output, mask=mask, directions=enc.config.directions), out.last)


@pytest.mark.parametrize("mode", ["last", "mean", "max", "attention"])
def test_pooling_ignores_padding(mode: str, device: torch.device) -> None:
    pool = Pooling(mode, 6, directions=2).to(device)
    x = torch.randn(B, TK, 6, device=device)
    ref = pool(x, LENGTHS)
    assert ref.shape == (B, 6)
    for value in (None, float("nan"), float("inf")):
        torch.testing.assert_close(pool(_repad(x, LENGTHS, value), LENGTHS), ref, rtol=0, atol=0)
    if mode != "last":  # a mask need not be a prefix for these
        torch.testing.assert_close(pool(x, mask=mask_from_lengths(LENGTHS, TK, device)), ref)


def test_pooling_rejects_unknown_mode() -> None:
    with pytest.raises(ConfigError, match="attention"):
        Pooling("median", 4)


def test_attention_pooling_weights() -> None:
    pool = AttentionPooling(6, 4)
    x = torch.randn(B, TK, 6, requires_grad=True)
    out = pool(x, LENGTHS)
    torch.testing.assert_close(out.weights.sum(-1), torch.ones(B))
    assert bool((out.weights[~mask_from_lengths(LENGTHS, TK)] == 0).all())
    torch.testing.assert_close(out.context, torch.einsum("bt,btd->bd", out.weights, x))
    out.context.sum().backward()
    assert pool.query.grad is not None and pool.query.grad.abs().sum() > 0


@pytest.mark.usefixtures("one_thread")
def test_attention_pooling_learns_to_find_the_marked_step() -> None:
    """Label = sign of feature 1 at the one step flagged in feature 0; other steps are noise.

    Mean pooling dilutes the signal with (T-1) noisy steps; attention must learn to look at the flag.
    Chance is 50%; we require > 90% on held-out data.
    """
    gen = torch.Generator().manual_seed(1)

    def batch(n: int, T: int = 12) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.randn(n, T, 4, generator=gen)
        x[..., 0] = 0.0
        lengths = torch.randint(3, T + 1, (n,), generator=gen)
        pos = (torch.rand(n, generator=gen) * lengths).long()
        x[torch.arange(n), pos, 0] = 3.0
        y = (x[torch.arange(n), pos, 1] > 0).long()
        return _repad(x, lengths), lengths, y

    pool, head = AttentionPooling(4, 16), torch.nn.Linear(4, 2)
    params = [*pool.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=0.03)
    losses = []
    for _ in range(80):
        x, lengths, y = batch(64)
        loss = F.cross_entropy(head(pool(x, lengths).context), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    x, lengths, y = batch(1000)
    with torch.no_grad():
        acc = (head(pool(x, lengths).context).argmax(-1) == y).float().mean().item()
    assert sum(losses[-10:]) < 0.5 * sum(losses[:10])
    assert acc > 0.9, f"accuracy {acc:.3f} (chance 0.5)"


@pytest.mark.parametrize("kind", ["additive", "general", "pooling"])
def test_nan_padding_reaches_no_parameter_gradient(kind: str) -> None:
    """NaN in the padded keys changed no context but made every scoring weight's gradient NaN."""
    torch.manual_seed(0)
    lengths = torch.tensor([5, 2, 1])
    keys = torch.randn(3, 5, 4)
    dirty = keys.masked_fill(torch.arange(5)[None, :, None] >= lengths[:, None, None], float("nan"))
    query = torch.randn(3, 4)
    module = {
        "additive": AdditiveAttention(4, 4),
        "general": MultiplicativeAttention(4, 4, "general"),
        "pooling": AttentionPooling(4),
    }[kind]
    grads = []
    for k in (keys, dirty):
        out = module(k, lengths) if kind == "pooling" else module(query, k, lengths=lengths)
        out.context.sum().backward()
        grads.append([p.grad.clone() for p in module.parameters()])
        module.zero_grad()
    for got, want in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("pool", ["mean", "max", "last"])
@pytest.mark.parametrize(
    "bad", [[6, 2, 1], [5, -1, 1], [5.0, 2.5, 1.0]], ids=["past_T", "negative", "fractional"]
)
def test_pooling_refuses_lengths_outside_the_steps(pool: str, bad: list[float]) -> None:
    """Lengths past T pooled over all T steps (mean, max) or raised IndexError (last), a negative one gave an
    empty row and 2.5 three steps, without a word; now one ShapeError, as the encoder's."""
    out = torch.randn(3, 5, 4)
    fn = {"mean": mean_pool, "max": max_pool, "last": last_pool}[pool]
    with pytest.raises(ShapeError, match=r"lengths must (lie in \[0, 5\]|be whole step counts)"):
        fn(out, torch.tensor(bad))
    with pytest.raises(ShapeError, match=r"lengths must (lie in \[0, 5\]|be whole step counts)"):
        mask_from_lengths(torch.tensor(bad), 5)
    with pytest.raises(ShapeError, match="max_len must be >= 0"):
        mask_from_lengths(torch.tensor([1]), -1)
    assert torch.equal(
        fn(out, torch.tensor([5.0, 2.0, 1.0])), fn(out, torch.tensor([5, 2, 1]))
    )  # whole floats


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_pooled_models_take_lengths_and_masks_as_lists_and_arrays(pooling: str) -> None:
    """The encoder takes lengths and masks as lists or NumPy arrays; a SequenceClassifier pooling by mean, max
    or attention then failed in its pooling with AttributeError: 'list' object has no attribute 'shape'."""
    import numpy as np

    from carrousel.core.nn import SequenceClassifier, SequenceClassifierConfig

    torch.manual_seed(0)
    model = SequenceClassifier(
        SequenceClassifierConfig(RecurrentConfig(4, 6), num_classes=3, pooling=pooling)
    )
    x, lengths = torch.randn(3, 5, 4), [5, 3, 2]
    mask = [[t < n for t in range(5)] for n in lengths]
    with torch.no_grad():
        want = model(x, torch.tensor(lengths))
        for given in (dict(lengths=lengths), dict(lengths=np.array(lengths)), dict(mask=mask)):
            assert torch.equal(model(x, **given), want)


def test_attention_sizes_below_one_are_one_line() -> None:
    """AdditiveAttention(4, -1) was torch's RuntimeError 'Trying to create tensor with negative dimension'."""
    with pytest.raises(ConfigError, match="AdditiveAttention: key_size must be >= 1, got -1"):
        AdditiveAttention(4, -1)
    with pytest.raises(ConfigError, match="MultiplicativeAttention: query_size must be >= 1, got 0"):
        MultiplicativeAttention(0, 4)
    with pytest.raises(ConfigError, match="AttentionPooling: attention_size must be >= 0, got -2"):
        AttentionPooling(4, -2)


@pytest.mark.parametrize("directions", [0, 3])
def test_pooling_directions_other_than_one_or_two_are_refused(directions: int) -> None:
    """Pooling("last", 6, directions=3) took the first third of the features as the forward half and the
    rest as the reverse half without a word; directions=0 raised ZeroDivisionError at the first call."""
    with pytest.raises(ConfigError, match=f"Pooling: directions must be 1 or 2, got {directions}"):
        Pooling("last", 6, directions=directions)
    with pytest.raises(ShapeError, match="need directions 1 or 2"):
        last_pool(torch.randn(2, 4, 6), directions=directions)
