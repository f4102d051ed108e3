"""The lexical bias of decoding (Arthur et al. 2016, bias method): ``lambda * log(p_lex + eps)`` with
``p_lex`` the attention-weighted IBM-1 lexicon; padding contributes nothing, the biased step stays
normalised and moves mass to the lexicon's translation, batched decoding equals one by one
under it (greedy and beam); the lexicon is stored by training, refitted equal for a bundle without it, and
lifts an under-trained translator on sentences it never saw; the dictionary fallback replaces exactly the
translations whose mean token -log p is above the threshold."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.nlp.config import (
    DecodeConfig,
    TranslateNetConfig,
)
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.lexical_bias import LEXICON_FILE, BiasedNetwork, lexical_bias
from carrousel.nlp.lexicon import ibm_model1
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.seq2seq import build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_batch

EN = {"red": 4, "car": 5, "house": 6, "blue": 7, "the": 8, "big": 9}
DE = {"red": 10, "car": 11, "house": 12, "blue": 13, "the": 14, "big": 15}
PAIRS = [
    ([EN[w] for w in s.split()], [DE[w] for w in reversed(s.split())])
    for s in ("the red car", "the blue house", "big car", "red house", "the big blue car", "blue house")
]
V = 20


def _lexicon() -> tuple[torch.Tensor, torch.Tensor]:
    ids, probs = ibm_model1(PAIRS, V, top=3, iterations=10)
    return torch.from_numpy(ids), torch.from_numpy(probs)


def test_the_bias_is_the_attention_weighted_lexicon_and_padding_adds_nothing() -> None:
    ids, probs = _lexicon()
    src = torch.tensor([[EN["red"], EN["car"], 0], [EN["blue"], EN["house"], EN["big"]]])
    weights = torch.tensor([[1.0, 0.0, 0.0], [0.25, 0.75, 0.0]])
    bias = lexical_bias(weights, src, ids, probs, strength=0.5, eps=1e-3)
    assert bias.shape == (2, V)
    assert int(bias[0].argmax()) == DE["red"] and int(bias[1].argmax()) == DE["house"]
    expected = 0.5 * torch.log(probs[EN["red"]][ids[EN["red"]] == DE["red"]].sum() + 1e-3)
    assert torch.isclose(bias[0, DE["red"]], expected)
    assert torch.allclose(bias[0, DE["car"]], 0.5 * torch.log(torch.tensor(1e-3)))
    padded = src.clone()
    padded[0, 2] = EN["house"]  # a real id at a position of zero attention changes nothing
    assert torch.equal(bias, lexical_bias(weights, padded, ids, probs, 0.5, 1e-3))
    with pytest.raises(NLPConfigError):
        lexical_bias(weights[:, :2], src, ids, probs, 0.5)


def test_the_biased_step_is_normalised_and_moves_mass_to_the_translation() -> None:
    torch.manual_seed(0)
    model = build_seq2seq(TranslateNetConfig(embed_dim=16, hidden_size=32, dropout=0.0), V, V).eval()
    ids, probs = _lexicon()
    biased = BiasedNetwork(model, ids, probs, strength=1.0)
    src = torch.tensor([[EN["red"]], [EN["car"]]])  # one source token: all attention on it
    lengths = torch.tensor([1, 1])
    labels = torch.tensor([2, 2])
    with torch.no_grad():
        plain, _, _ = model.step(labels, model.start(src, lengths))
        lp, state, weights = biased.step(labels, biased.start(src, lengths))
    assert lp.shape == (2, V) and weights.shape == (2, 1) and state.src.shape == (2, 1)
    assert torch.allclose(lp.exp().sum(-1), torch.ones(2), atol=1e-5)
    assert lp[0, DE["red"]] > plain[0, DE["red"]] and lp[1, DE["car"]] > plain[1, DE["car"]]
    assert int(lp[0].argmax()) == DE["red"] and int(lp[1].argmax()) == DE["car"]
    sources = [
        [EN["the"], EN["red"], EN["car"]],
        [EN["big"], EN["car"], 17],
        [EN["blue"], EN["house"], EN["big"]],
    ]  # one length: one max_len
    greedy = [decode_batch(biased, [s], 2, 3, beam=1, max_ratio=1.0)[0] for s in sources]
    alone = [decode_batch(biased, [s], 2, 3, beam=3, max_ratio=1.0)[0] for s in sources]
    together = decode_batch(biased, sources, 2, 3, beam=3, max_ratio=1.0)
    assert [h.labels for h in greedy] == [
        h.labels for h in decode_batch(biased, sources, 2, 3, max_ratio=1.0)
    ]
    assert [h.labels for h in alone] == [h.labels for h in together]
    with pytest.raises(NLPConfigError):
        BiasedNetwork(model, ids, probs, strength=0.0)
    with pytest.raises(NLPConfigError):
        BiasedNetwork(model, ids[:, :2], probs, strength=1.0)


def test_the_stored_lexicon_equals_the_refitted_one(undertrained: Path) -> None:
    stored = Translator.from_pretrained(undertrained).lexicon()
    bundle = load_bundle(undertrained)
    older = replace(bundle, files={k: v for k, v in bundle.files.items() if k != LEXICON_FILE})
    refitted = Translator(older).lexicon()
    assert torch.equal(stored[0], refitted[0]) and torch.equal(stored[1], refitted[1])


def test_the_bias_lifts_an_undertrained_translator_on_unseen_sentences(
    undertrained: Path, toy_pairs: Any
) -> None:
    tr = Translator.from_pretrained(undertrained)
    pairs = sorted(toy_pairs(200, 1) - toy_pairs(500, 0))[:100]
    sources = [s for s, _ in pairs]

    def recall(bias: float) -> float:  # share of the reference's word types in the output
        out = tr.translate(sources, DecodeConfig(beam=1, lexical_bias=bias, fallback_nll=0.0))
        hits = sum(len(set(o.text.split()) & set(t.split())) for o, (_, t) in zip(out, pairs, strict=True))
        return hits / sum(len(set(t.split())) for _, t in pairs)

    plain, biased = recall(0.0), recall(0.3)
    assert biased > plain + 0.04, (plain, biased)  # observed 0.263 -> 0.335


def test_the_dictionary_translates_where_the_model_is_unsure(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    sources = ["read the file", "show all new list", "copy old name now"]
    own = tr.translate(sources, DecodeConfig(beam=3, fallback_nll=0.0, mbr=False))
    assert all(t.nll > 0 and not t.fallback for t in own)
    cut = sorted(t.nll for t in own)[1]  # the two least sure of the three fall back
    mixed = tr.translate(sources, DecodeConfig(beam=3, fallback_nll=cut - 1e-9, mbr=False))
    for o, m, s in zip(own, mixed, sources, strict=True):
        assert m.fallback == (o.nll > cut - 1e-9)
        assert m.text == (tr.dictionary_text(s) if m.fallback else o.text)
        assert m.model_text == o.text  # the network's own text (its attention's) is kept beside
    assert sum(m.fallback for m in mixed) == 2
    assert tr.dictionary.translate("read the file") == "lies die Datei"


def test_the_fallback_keeps_placeholders_as_written(undertrained: Path) -> None:
    """The dictionary translated words inside placeholders: with git's catalogue ``d`` -> ``interne`` made
    ``%d`` ``%interne``, ``help`` -> ``sur`` made ``--help`` ``--sur``, also in the fallback's output."""
    tr = Translator.from_pretrained(undertrained)
    tr.dictionary.table.update({"d": "interne", "help": "hilfe", "usr": "benutzer", "show": "zeige"})
    source = "show help: %d in /usr/lib, see --help"
    kept = "zeige hilfe: %d in /usr/lib, see --help"
    assert tr.dictionary.translate(source) == kept  # the evaluate baseline too (before: %interne, --hilfe)
    (t,) = tr.translate([source], DecodeConfig(beam=1, fallback_nll=1e-9, mbr=False))
    assert t.fallback and t.text == "zeige hilfe: %d in /usr/lib, see --help"
    (c,) = tr.translate([source], DecodeConfig(beam=2, fallback_nll=0.0, mbr=True, mbr_dictionary=1e3))
    assert c.chosen == "dictionary" and c.text == t.text  # the consensus's dictionary candidate: the same
