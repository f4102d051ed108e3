"""``decode_batch``/``decode_nbest`` (the public decoding of a translator's ids) refuse a ``max_ratio`` that is not a
finite number above 0, as ``DecodeConfig`` (``nlp translate``) does. Each source's limit is ``max_ratio * n + 10``
tokens: core's beam search documents a limit of 0 (one empty, unfinished hypothesis), which ``nlp translate``
never reaches (at least 10), but a negative ratio here did: a long source got an empty translation and no word,
a longer one core's "max_len must be >= 0, got -10" (a value the caller never gave), nan a raw ValueError."""

from __future__ import annotations

import pytest
import torch

from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.seq2seq import Seq2Seq, Seq2SeqConfig
from carrousel.nlp.seq2seq_decode import decode_batch, decode_nbest


@pytest.fixture(scope="module")
def model() -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(Seq2SeqConfig(TranslateNetConfig(), 20, 20)).eval()


@pytest.mark.parametrize("ratio", [0.0, -0.5, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("beam", [1, 3])
def test_a_ratio_that_is_not_above_0_is_refused(model: Seq2Seq, ratio: float, beam: int) -> None:
    source = [5] * 19 + [2]  # 20 ids: -0.5 made its limit 0, -1.0 made it -10
    with pytest.raises(NLPConfigError, match=r"^max_ratio must be a finite number > 0 .*; give e\.g\. 2\.0$"):
        decode_batch(model, [source], 1, 2, beam=beam, max_ratio=ratio)
    with pytest.raises(NLPConfigError, match="max_ratio must be"):
        decode_nbest(model, [source], 1, 2, beam=beam, n_best=1, max_ratio=ratio)


def test_a_ratio_above_0_decodes_within_its_limit(model: Seq2Seq) -> None:
    found = decode_batch(model, [[5, 6, 2], [7, 2]], 1, 2, beam=1, max_ratio=0.5)
    assert [len(h.labels) <= int(0.5 * n) + 10 for h, n in zip(found, (3, 2), strict=True)] == [True, True]
