"""``nlp translate run`` on a text longer than the model's ``max_tokens``: one warning says it was cut.

Before, the source was cut to its first ``max_tokens`` ids in silence: a 100,000-character line came back
as the translation of its first 100 tokens (``--no-mbr --fallback-nll 0``) with nothing on stderr, while
``nlp sentiment predict`` says the same cut.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator


def test_a_cut_source_is_said_once(toy_translator: Path, caplog: pytest.LogCaptureFixture) -> None:
    model = Translator.from_pretrained(toy_translator)
    long = " ".join(["open the file"] * (model.max_tokens // 3 + 5))
    assert len(model.tokenizer.encode(long)) > model.max_tokens
    dc = DecodeConfig(beam=1, mbr=False, fallback_nll=0.0)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = model.translate([long, "open the file", long], dc)
    assert len(got) == 3
    said = [r.getMessage() for r in caplog.records if "truncated" in r.getMessage()]
    assert said == [
        f"2 of 3 texts are longer than {model.max_tokens} tokens and were truncated: the network translates "
        f"their first {model.max_tokens} tokens only (give one sentence a line)"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        model.translate(["open the file"], dc)
    assert not [r for r in caplog.records if "truncated" in r.getMessage()]
