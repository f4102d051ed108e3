"""Consensus (MBR) decoding of a translator (carrousel.nlp.consensus): sentence chrF equal to sacrebleu's,
the two-candidate switch, one candidate, and on a small under-trained translator: the n-best search keeps
the plain search's best, batched equals one by one, the chosen text's tokens and attention are the
network's, greedy MBR with confidence is the fallback, and consensus with the dictionary beats the network
alone on sentences it never saw."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.core.decode import Hypothesis
from carrousel.nlp.config import (
    DecodeConfig,
)
from carrousel.nlp.consensus import chrf_matrix, consensus, sentence_chrf
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline.translate import Translator

TEXTS = [
    "konnte Datei nicht öffnen",
    "konnte die Datei nicht öffnen",
    "Datei",
    "",
    "   ",
    "a",
    "ab",
    "%s: Ungültiger SHA1-Zeiger %s",
    "keine Tags anzeigen",
    "Bit alle previously-defined decoration textconv",
    "alle zuvor definierten Dekorationsfilter löschen",
    "x y z x y z x y z",
]


def test_sentence_chrf_equals_sacrebleu() -> None:
    sacrebleu = pytest.importorskip("sacrebleu")
    for hyp in TEXTS:
        for ref in TEXTS:
            want = sacrebleu.sentence_chrf(hyp, [ref]).score
            assert math.isclose(sentence_chrf(hyp, ref), want, abs_tol=1e-9), (hyp, ref, want)
    u = chrf_matrix(TEXTS[:3] + TEXTS[7:])
    texts = TEXTS[:3] + TEXTS[7:]
    assert np.allclose(u, [[sentence_chrf(h, r) for r in texts] for h in texts])


def test_two_candidates_switch_on_the_weights_and_one_candidate_is_kept() -> None:
    model, dic = ["konnte Datei nicht öffnen"], "konnte nicht öffnen Datei"
    assert consensus(model, [-3.0], dic, "x", dictionary_weight=0.9) == ("model", 0)
    assert consensus(model, [-3.0], dic, "x", dictionary_weight=1.1) == ("dictionary", 0)
    assert consensus(model, [-3.0], dic, "x", model_weight=0.5, dictionary_weight=0.6) == ("dictionary", 0)
    # the same text from both: the network's (ties go to it)
    assert consensus(model, [-3.0], model[0], "x", dictionary_weight=5.0) == ("model", 0)
    # an n-best hypothesis close to the dictionary's beats a best that agrees with nothing
    nbest = ["keine Tags anzeigen", "alle Dekorationsfilter löschen"]
    dic = "alle zuvor Dekorationsfilter löschen"
    assert consensus(nbest, [-1.0, -1.2], dic, "x", dictionary_weight=0.2) == ("model", 1)
    assert consensus(nbest, [-1.0, -1.2], dic, "x", dictionary_weight=0.3) == ("dictionary", 0)
    # the copied source wins when it is what the others say
    assert consensus(["Installed:"], [-1.0], "Installiert:", "Installed:", copy_weight=0.5) == ("model", 0)
    assert consensus(["Inst:"], [-1.0], "Installed:", "Installed:", copy_weight=0.5) == ("dictionary", 0)


def test_config_rejects_bad_mbr_values() -> None:
    for bad in ({"mbr_temperature": 0.0}, {"mbr_dictionary": -1.0}, {"mbr_copy": math.nan}):
        with pytest.raises(NLPConfigError):
            DecodeConfig(mbr=True, **bad)  # type: ignore[arg-type]


def _unseen(toy_pairs: Any) -> list[tuple[str, str]]:
    return sorted(toy_pairs(200, 1) - toy_pairs(500, 0))[:60]


def test_mbr_keeps_the_search_best_and_batching(undertrained: Path, toy_pairs: Any) -> None:
    tr = Translator.from_pretrained(undertrained)
    sources = [s for s, _ in _unseen(toy_pairs)[:24]]
    plain = tr.translate(sources, DecodeConfig(beam=4, fallback_nll=0.0, mbr=False))
    searched = tr.search(sources, DecodeConfig(beam=4, mbr=True))
    assert all(len(s.hyps) == 4 for s in searched)
    kept = tr.choose(searched, DecodeConfig(beam=4, fallback_nll=0.0, mbr=False))
    assert [t.text for t in kept] == [t.text for t in plain]  # the n-best's first is the plain best
    dc = DecodeConfig(beam=4, fallback_nll=0.0, mbr=True, mbr_dictionary=0.6, mbr_temperature=3.0)
    together = tr.translate(sources, replace(dc, batch_size=7), attention=True)
    alone = [tr.translate([s], dc, attention=True)[0] for s in sources]
    assert [(t.text, t.chosen, t.rank) for t in together] == [(t.text, t.chosen, t.rank) for t in alone]
    assert {t.chosen for t in together} >= {"model", "dictionary"} and any(t.rank > 0 for t in together)
    for t, p, s in zip(together, plain, searched, strict=True):
        h = s.hyps[t.rank]
        assert len(t.attention or []) == len(h.labels) and len(t.target_tokens) == len(h.labels)
        assert t.nll == pytest.approx(-h.log_prob / (len(h.labels) + 1))
        if t.chosen == "model":
            assert t.text == t.model_text and not t.fallback
        else:  # as the fallback: the dictionary's text (or the source), the network's best beside it
            assert t.rank == 0 and t.fallback == (t.chosen == "dictionary") and t.model_text == p.text
            assert t.text == (tr.dictionary.translate(t.source) if t.fallback else t.source)


def test_greedy_mbr_with_confidence_is_the_fallback(undertrained: Path, toy_pairs: Any) -> None:
    tr = Translator.from_pretrained(undertrained)
    sources = [s for s, _ in _unseen(toy_pairs)]
    d, s = 0.5, 1.5
    mbr = tr.translate(
        sources,
        DecodeConfig(beam=1, fallback_nll=0.0, mbr=True, mbr_dictionary=d, mbr_confidence=s, mbr_copy=0.0),
    )
    fallback = tr.translate(sources, DecodeConfig(beam=1, fallback_nll=-math.log(d) / s, mbr=False))
    assert [t.text for t in mbr] == [t.text for t in fallback]
    assert 0 < sum(t.fallback for t in mbr) < len(mbr)


def test_consensus_with_the_dictionary_beats_the_network_alone(undertrained: Path, toy_pairs: Any) -> None:
    sacrebleu = pytest.importorskip("sacrebleu")
    tr = Translator.from_pretrained(undertrained)
    pairs = _unseen(toy_pairs)
    sources, refs = [s for s, _ in pairs], [t for _, t in pairs]

    def chrf(dc: DecodeConfig) -> float:
        return float(sacrebleu.corpus_chrf([t.text for t in tr.translate(sources, dc)], [refs]).score)

    alone = chrf(DecodeConfig(beam=4, fallback_nll=0.0, mbr=False))
    mbr = chrf(DecodeConfig(beam=4, fallback_nll=0.0, mbr=True, mbr_dictionary=0.75, mbr_copy=0.0))
    assert mbr > alone + 20.0, (alone, mbr)  # observed 32.9 -> 77.3


def test_an_empty_network_translation_is_named_in_a_warning(
    undertrained: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``--fallback-nll 0 --no-mbr`` on a text of unknown characters (``漢字``): where the network writes
    nothing, the text stays empty (the network's own: evaluate's network-alone figures and the learning curve
    score it so) and a warning names it and the settings that translate it; before, an empty line, silently."""
    tr = Translator.from_pretrained(undertrained)
    dc = DecodeConfig(beam=1, fallback_nll=0.0, mbr=False)
    searched = tr.search(["漢字", "open the file"], dc)
    nothing = Hypothesis([], -3.0, -3.0, True, None)  # the network's best: end of sentence at once
    searched[0] = replace(searched[0], hyps=[nothing])
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.pipeline.translate"):
        out = tr.choose(searched, dc)
    assert (out[0].text, out[0].chosen, out[0].model_text) == ("", "model", "")
    assert out[1].chosen == "model" and out[1].text == out[1].model_text != ""
    warned = [r.getMessage() for r in caplog.records if r.name == "carrousel.nlp.pipeline.translate"]
    assert (
        len(warned) == 1 and "'漢字'" in warned[0] and "empty" in warned[0] and "--fallback-nll" in warned[0]
    )
