"""The repetition guard of translation (``DecodeConfig.block_ngram_repeat``, ``--block-ngram-repeat``): no
output repeats an n-gram of its tokens, 0 decodes exactly as before, beam 1 still equals greedy, and the
flag reaches ``run`` and ``evaluate`` (a bad value is a usage error)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline.translate import Translator


def _repeats(tokens: list[str], n: int) -> bool:
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) != len(set(grams))


def test_guarded_outputs_repeat_no_ngram_and_zero_is_the_old_decoding(
    undertrained: Path, toy_pairs: Any
) -> None:
    tr = Translator.from_pretrained(undertrained)
    sources = [s for s, _ in toy_pairs(60, 7)]
    plain = DecodeConfig(beam=4, fallback_nll=0.0, mbr=False, block_ngram_repeat=0)
    assert DecodeConfig().block_ngram_repeat == 5  # on by default since git's validation split (nlp README)
    free = tr.translate(sources, plain, attention=True)
    assert any(_repeats(t.target_tokens, 1) for t in free)  # the guard below has something to block
    for n in (1, 2):
        for beam in (1, 4):
            dc = DecodeConfig(beam=beam, fallback_nll=0.0, mbr=False, block_ngram_repeat=n)
            out = tr.translate(sources, dc, attention=True)
            assert not any(_repeats(t.target_tokens, n) for t in out)
        greedy = tr.translate(
            sources, DecodeConfig(beam=1, fallback_nll=0.0, mbr=False, block_ngram_repeat=n)
        )
        beam1 = tr.search(sources, DecodeConfig(beam=1, block_ngram_repeat=n, mbr=False))
        assert [t.text for t in greedy] == [
            t.text for t in tr.choose(beam1, DecodeConfig(beam=1, fallback_nll=0.0, mbr=False))
        ]
    changed = tr.translate(sources, DecodeConfig(beam=4, fallback_nll=0.0, mbr=False, block_ngram_repeat=1))
    assert [t.text for t in changed] != [t.text for t in free]
    long = DecodeConfig(beam=4, fallback_nll=0.0, mbr=False, block_ngram_repeat=1000)  # never bites
    assert [t.text for t in tr.translate(sources, long)] == [t.text for t in free]
    with pytest.raises(NLPConfigError, match="block_ngram_repeat must be >= 0"):
        DecodeConfig(block_ngram_repeat=-1)


def test_the_flag_reaches_run_and_evaluate(
    undertrained: Path, toy_pairs: Any, tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    sources = [s for s, _ in toy_pairs(60, 7)]
    tr = Translator.from_pretrained(undertrained)
    want = [t.text for t in tr.translate(sources, DecodeConfig(block_ngram_repeat=1))]  # default 5: given
    ran = invoke("nlp", "translate", "run", "--model", undertrained, *sources, "--block-ngram-repeat", "1")
    assert ran.code == 0 and ran.stdout.splitlines() == want
    # the flag reached the run: on 8 sources (before) 0, 1 and the default 5 all ran the same
    free = invoke("nlp", "translate", "run", "--model", undertrained, *sources, "--block-ngram-repeat", "0")
    assert free.code == 0 and free.stdout != ran.stdout
    pairs = tmp_path / "p.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in toy_pairs(60, 7)), encoding="utf-8")
    args = (
        "nlp",
        "translate",
        "evaluate",
        "--model",
        undertrained,
        "--pairs",
        pairs,
        "--json",
        "--examples",
        "60",
    )
    args += ("--beam", "4", "--fallback-nll", "0", "--no-mbr")
    off, on = invoke(*args, "--block-ngram-repeat", "0"), invoke(*args, "--block-ngram-repeat", "1")
    assert off.code == on.code == 0
    assert json.loads(off.stdout).keys() == json.loads(on.stdout).keys()  # no new key in the JSON
    for outcome, n in ((off, 0), (on, 1)):
        dc = DecodeConfig(beam=4, fallback_nll=0.0, mbr=False, block_ngram_repeat=n)
        texts = [t.text for t in tr.translate(sources, dc)]
        assert [e["beam"] for e in json.loads(outcome.stdout)["examples"]] == texts
    assert json.loads(off.stdout)["examples"] != json.loads(on.stdout)["examples"]
    bad = invoke(*args, "--block-ngram-repeat", "-1")
    assert bad.code == 2 and "block-ngram-repeat" in bad.stderr
