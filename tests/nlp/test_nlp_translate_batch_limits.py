"""A translation does not depend on its batch: each source may take ``max_ratio * its own length + 10``
output tokens. Before, ``decode_nbest`` gave every source of a batch ``max_ratio * the longest source + 10``,
so with the repetition guard off a runaway translation of a short source stopped after ~14 tokens alone but
ran on for ~90 when batched with a 40-token source (and ``nlp translate run`` sorts its inputs by length and
decodes them in batches of 64, so what a line got depended on the other lines of the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.nlp.config import DecodeConfig, TranslateNetConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.seq2seq import build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_nbest

BOS, EOS, V = 2, 3, 14


@pytest.mark.parametrize("beam", [1, 3])
def test_a_runaway_translation_takes_its_own_source_s_limit_alone_or_batched(beam: int) -> None:
    torch.manual_seed(0)
    model = build_seq2seq(TranslateNetConfig(embed_dim=16, hidden_size=32, dropout=0.0), V, V).eval()
    with torch.no_grad():
        model.output_bias[EOS] = -1e4  # never ends: every source runs to its limit
    sources = [[5, 6], [4 + i % 10 for i in range(40)], [7, 8, 9, 10, 11]]
    batched = decode_nbest(model, sources, BOS, EOS, beam=beam, n_best=beam)
    for src, hyps in zip(sources, batched, strict=True):
        (alone,) = decode_nbest(model, [src], BOS, EOS, beam=beam, n_best=beam)
        assert [h.labels for h in hyps] == [h.labels for h in alone]
        assert [len(h.labels) for h in hyps] == [2 * len(src) + 10] * beam  # not 2 * 40 + 10
        assert not any(h.finished for h in hyps)
        for a, b in zip(hyps, alone, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-4)
            assert a.extras is not None and b.extras is not None
            assert a.extras.shape == (len(a.labels), len(src))


@pytest.mark.parametrize("beam", [1, 4])
def test_a_set_translates_the_same_alone_and_batched_with_the_guard_off(
    undertrained: Path, toy_pairs: Any, beam: int
) -> None:
    tr = Translator.from_pretrained(undertrained)
    with torch.no_grad():
        tr.network.output_bias[tr.target_tokenizer.eos_id] -= 6.0  # an undertrained model that rambles on
    sources = [s for s, _ in toy_pairs(40, 7)] + ["the " * 12 + "end"]
    one = DecodeConfig(beam=beam, fallback_nll=0.0, mbr=False, block_ngram_repeat=0, batch_size=1)
    many = DecodeConfig(beam=beam, fallback_nll=0.0, mbr=False, block_ngram_repeat=0, batch_size=64)
    alone = [t.text for t in tr.translate(sources, one)]
    batched = [t.text for t in tr.translate(sources, many)]
    assert alone == batched
