"""The IBM model 1 lexicon of the training pairs and its place in the pointer-generator (Arthur et al.
2016): known words map to their translations, unseen ones to themselves; with the gate on the lexicon
the output is exactly the attention-weighted lexicon; the mixture stays normalised, beam 1 equals greedy,
and the lexicon travels in the bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.lexicon import ibm_model1
from carrousel.nlp.seq2seq import Seq2Seq, build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_batch

# toy "English" ids 4..9 -> "German" ids 10..15, in sentences of varying length and order
EN = {"red": 4, "car": 5, "house": 6, "blue": 7, "the": 8, "big": 9}
DE = {"red": 10, "car": 11, "house": 12, "blue": 13, "the": 14, "big": 15}
SENTENCES = [
    "the red car",
    "the blue house",
    "the big car",
    "red house",
    "blue car",
    "the big red house",
    "big blue car",
    "the car",
    "the house",
    "red car",
    "the big blue house",
]


def _pairs() -> list[tuple[list[int], list[int]]]:
    out = []
    for s in SENTENCES:
        words = s.split()
        out.append(([EN[w] for w in words], [DE[w] for w in reversed(words)]))  # order differs
    return out


def test_ibm_model1_maps_known_words_and_keeps_unseen_ones() -> None:
    ids, probs = ibm_model1(_pairs(), 20, top=3, iterations=10)
    for word in EN:
        assert ids[EN[word], 0] == DE[word], word
        assert probs[EN[word], 0] > 0.5
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert ids[17, 0] == 17 and probs[17, 0] == 1.0  # never seen: translates to itself
    with pytest.raises(NLPConfigError):
        ibm_model1([([25], [5])], 20)


def _model() -> Seq2Seq:
    torch.manual_seed(0)
    model = build_seq2seq(TranslateNetConfig(embed_dim=16, hidden_size=32, dropout=0.0, lexicon=3), 20, 20)
    ids, probs = ibm_model1(_pairs(), 20, top=3, iterations=10)
    model.set_lexicon(torch.from_numpy(ids), torch.from_numpy(probs))
    return model.eval()


def test_a_gate_on_the_lexicon_gives_the_attention_weighted_lexicon() -> None:
    model = _model()
    assert model.gate is not None
    with torch.no_grad():
        model.gate.weight.zero_()
        model.gate.bias.copy_(torch.tensor([-30.0, -30.0, 30.0]))  # all weight on the lexicon
    src, lengths = torch.tensor([[8, 4, 5]]), torch.tensor([3])
    state = model.start(src, lengths)
    log_probs, _, weights = model.step(torch.tensor([2]), state)
    assert model.lex_ids is not None and model.lex_probs is not None
    expected = torch.zeros(20)
    for i, token in enumerate(src[0].tolist()):
        expected.index_add_(0, model.lex_ids[token], weights[0, i] * model.lex_probs[token])
    assert torch.allclose(log_probs[0].exp(), expected, atol=1e-5)
    assert set(torch.topk(log_probs[0], 3).indices.tolist()) == {DE["the"], DE["red"], DE["car"]}


def test_the_mixture_is_normalised_and_step_agrees_with_forward() -> None:
    model = _model()
    src, lengths = torch.tensor([[8, 4, 5], [7, 6, 0]]), torch.tensor([3, 2])
    tgt_in = torch.tensor([[2, 11, 10], [2, 12, 13]])
    with torch.no_grad():
        full = model(src, lengths, tgt_in)
        state = model.start(src, lengths)
        for t in range(3):
            step, state, _ = model.step(tgt_in[:, t], state)
            assert torch.allclose(step, full[:, t], atol=1e-5)
    assert torch.allclose(full.exp().sum(-1), torch.ones(2, 3), atol=1e-5)


def test_beam_one_equals_greedy_and_the_lexicon_travels_in_the_bundle(tmp_path: Path) -> None:
    model = _model()
    sources = [[8, 4, 5], [7, 6], [9, 9, 4, 5]]
    greedy = [h.labels for h in decode_batch(model, sources, 2, 3)]
    assert [h.labels for h in decode_batch(model, sources, 2, 3, beam=1)] == greedy
    Bundle(kind="test.lexicon", model=model).save(tmp_path / "b")
    loaded = load_bundle(tmp_path / "b", kind="test.lexicon").model
    assert isinstance(loaded, Seq2Seq) and loaded.lex_ids is not None and model.lex_ids is not None
    assert torch.equal(loaded.lex_ids, model.lex_ids)
    assert [h.labels for h in decode_batch(loaded.eval(), sources, 2, 3)] == greedy
    with pytest.raises(NLPConfigError):
        build_seq2seq(TranslateNetConfig(lexicon=0), 20, 20).set_lexicon(
            torch.zeros(20, 3), torch.zeros(20, 3)
        )
