"""Prompt characters (or words) a language model's vocabulary lacks are named in one warning.

Before, ``nlp generate run`` read each as ``[UNK]`` and decoding dropped it without a word: a character
model trained on English read the prompt 'señor' as 'se[UNK]or' and said nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from carrousel.nlp.config import FitConfig, LMDataConfig, LMNetConfig, LMTrainConfig, TokenizerConfig
from carrousel.nlp.pipeline import TextGenerator, train_lm
from tests.nlp.conftest import Run

TEXT = "The cat sat on the mat, and the dog sat on the log.\nA cat and a dog ran to the mat.\n" * 20


def tiny_lm(folder: Path, kind: str, corpus: str = TEXT) -> Path:
    """A one-epoch language model over ``corpus`` (default :data:`TEXT`; well under a second)."""
    text = folder / "text.txt"
    text.write_text(corpus, encoding="utf-8")
    torch.manual_seed(0)
    cfg = LMTrainConfig(
        LMDataConfig((str(text),), holdout=0.2),
        tokenizer=TokenizerConfig(kind=kind, vocab_size=60, min_frequency=1, lowercase=False),
        model=LMNetConfig(embed_dim=8, hidden_size=8, dropout=0.0),
        fit=FitConfig(epochs=1, batch_size=2, progress=False),
        bptt=10,
        segment=40,
    )
    train_lm(cfg, folder / "lm")
    return folder / "lm"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    ("kind", "prompt", "message"),
    [
        (
            "char",
            "¿Qué tal, señor? Qué",
            "the model's vocabulary lacks 6 prompt characters ('¿', 'Q' x2, 'u' x2, 'é' x2, 'ñ' and 1 more), "
            "read as [UNK]",
        ),
        (
            "char",
            "The caZ",
            "the model's vocabulary lacks 1 prompt character ('Z'), read as [UNK]",
        ),
        (
            "word",
            "The bird sat on the fence",
            "the model's vocabulary lacks 2 prompt words ('bird', 'fence'), read as [UNK]",
        ),
        (
            "bpe",
            "The cat ñ",
            "the model's vocabulary lacks 1 prompt character ('ñ'), read as [UNK]",
        ),
        (
            "unigram",
            "Thé dog",
            "the model's vocabulary lacks 1 prompt character ('é'), read as [UNK]",
        ),
    ],
)
def test_unknown_prompt_pieces_are_named_in_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str, prompt: str, message: str
) -> None:
    gen = TextGenerator.from_pretrained(tiny_lm(tmp_path, kind))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        pieces = gen.stream(prompt, max_tokens=5, seed=0)
        assert _warnings(caplog) == [message]  # before the first piece is asked for
        text = "".join(pieces)
    assert _warnings(caplog) == [message] and text  # once, and still generated
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        caplog.clear()
        "".join(gen.stream("The cat sat", max_tokens=5, seed=0))
        "".join(gen.stream("", max_tokens=5, seed=0))
    assert _warnings(caplog) == []


def test_many_unknown_characters_are_counted_and_a_few_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gen = TextGenerator.from_pretrained(tiny_lm(tmp_path, "char"))
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        "".join(gen.stream("猫が座った。犬も座った。", max_tokens=3, seed=0))
    assert _warnings(caplog) == [
        "the model's vocabulary lacks 8 prompt characters ('猫', 'が', '座' x2, 'っ' x2, 'た' x2 and 3 more), "
        "read as [UNK]"
    ]


def test_cli_shows_the_warning_as_one_line_on_stderr(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    model = tiny_lm(tmp_path, "char")
    run = nlp(
        "generate", "run", "--model", str(model), "--prompt", "The caZ", "--max-tokens", "5", "--seed", "1"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("The caZ")
    assert run.stderr.count("WARNING") == 1, run.stderr
    assert (
        " ".join(run.stderr.split())
        == "WARNING the model's vocabulary lacks 1 prompt character ('Z'), read as [UNK]"
    )


def test_evaluate_names_the_held_out_tokens_the_vocabulary_lacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``nlp generate evaluate`` on text of another script: every character was ``[UNK]``, and the
    perplexities (the LSTM's, and the n-gram baselines' on the same ids) were printed as if meaningful
    (a unigram perplexity near 1.7 on Japanese text for an English model), without a word."""
    from carrousel.nlp.config import LMEvaluateConfig
    from carrousel.nlp.pipeline.generate import evaluate_lm, split_text

    model = tiny_lm(tmp_path, "char")
    other = tmp_path / "ja.txt"
    other.write_text("猫が座った。犬も座った。The cat sat.\n" * 30, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        ev = evaluate_lm(LMEvaluateConfig(str(model), LMDataConfig((str(other),), holdout=0.2)))
    (message,) = _warnings(caplog)
    tokenizer = TextGenerator.from_pretrained(model).tokenizer
    held = tokenizer.encode(split_text(LMDataConfig((str(other),), holdout=0.2))[1])
    unknown = held[1:].count(tokenizer.unk_id)  # scored: all but the first (read, never predicted)
    assert unknown > len(held) / 3 and len(held) == ev.held_out_tokens + 1
    assert message.startswith(f"{unknown} of {ev.held_out_tokens} scored held-out tokens"), message
    assert "[UNK]" in message and "'猫'" in message
    caplog.clear()
    own = tmp_path / "text.txt"  # the training text: nothing unknown, no warning
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        evaluate_lm(LMEvaluateConfig(str(model), LMDataConfig((str(own),), holdout=0.2)))
    assert _warnings(caplog) == []


def test_evaluate_counts_the_tokens_it_reports_and_a_small_share_is_not_zero(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The warning counted every held-out token ("of 75"), the report the scored ones ("held-out tokens
    74") in the same run; and one [UNK] in a few hundred tokens read "(0%)". Both now count the scored
    tokens, and the share keeps its first digits."""
    from carrousel.nlp.config import LMEvaluateConfig
    from carrousel.nlp.pipeline.generate import evaluate_lm

    model = tiny_lm(tmp_path, "char")
    text = tmp_path / "one_unknown.txt"
    text.write_text(TEXT + "The Zoo.\n", encoding="utf-8")  # one 'Z' in the held-out tail
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        ev = evaluate_lm(LMEvaluateConfig(str(model), LMDataConfig((str(text),), holdout=0.2)))
    (message,) = _warnings(caplog)
    share = 100 / ev.held_out_tokens
    assert 0.1 < share < 1, share  # what "%.0f%%" wrote as 0%
    assert message.startswith(f"1 of {ev.held_out_tokens} scored held-out tokens ({share:.2g}%) are [UNK]"), (
        message
    )
