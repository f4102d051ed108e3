"""``nlp translate run`` on a text longer than the model's ``max_tokens``: one warning says it was cut (one
for a whole ``--file`` read in blocks, one for ``evaluate``'s two decodings).

Before, the source was cut to its first ``max_tokens`` ids in silence: a 100,000-character line came back
as the translation of its first 100 tokens (``--no-mbr --fallback-nll 0``) with nothing on stderr, while
``nlp sentiment predict`` says the same cut.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carrousel.nlp.cli.translate as cli_translate
from carrousel.nlp.cli import app
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_eval import score_pairs


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


def test_run_file_says_the_cut_once_over_all_its_blocks(
    toy_translator: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``translate run --file`` translates block by block; the warning counts the whole file's long lines.

    Before, each block warned for its own texts: 19 lines of git's test sources, 3 of them long, at
    ``--batch-size 1`` (blocks of 16) said ``3 of 3 texts are longer than 100 tokens`` for the last block.
    """
    monkeypatch.setattr(cli_translate, "RUN_BLOCK_BATCHES", 1, raising=False)
    max_tokens = Translator.from_pretrained(toy_translator).max_tokens
    long = " ".join(["open the file"] * (max_tokens // 3 + 5))
    lines = ["open the file", long, "open the file", "open the file", long]  # blocks of 2: 1 long, 0, 1
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(lines) + "\n")
    args = ["translate", "run", "--model", str(toy_translator), "--file", str(texts), "--batch-size", "2"]
    result = CliRunner().invoke(app, [*args, "--beam", "1", "--no-mbr", "--fallback-nll", "0"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(lines)
    said = [line.split(maxsplit=1)[1] for line in result.stderr.splitlines() if "truncated" in line]
    assert said == [
        f"2 of 5 texts are longer than {max_tokens} tokens and were truncated: the network translates "
        f"their first {max_tokens} tokens only (give one sentence a line)"
    ]


def test_evaluate_says_the_cut_once(toy_translator: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``translate evaluate`` decodes the sources twice (greedy, beam): the cut is said once (before: twice)."""
    model = Translator.from_pretrained(toy_translator)
    long = " ".join(["open the file"] * (model.max_tokens // 3 + 5))
    pairs = [(long, "die Datei öffnen"), ("open the file", "die Datei öffnen")]
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        score_pairs(model, pairs, DecodeConfig(beam=2, mbr=False, fallback_nll=0.0), examples=0)
    said = [r.getMessage() for r in caplog.records if "truncated" in r.getMessage()]
    assert said == [
        f"1 of 2 texts is longer than {model.max_tokens} tokens and was truncated: the network translates "
        f"its first {model.max_tokens} tokens only (give one sentence a line)"
    ]
