"""Language model: perplexity below count baselines, reproducible generation, n-gram sanity, streaming
(library and CLI) and the ``nlp generate --model DIR --prompt TEXT`` shorthand."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.baselines import NGramLM
from carrousel.nlp.config import GenerateConfig, LMDataConfig, LMEvaluateConfig
from carrousel.nlp.pipeline import TextGenerator, evaluate_lm
from tests.nlp.conftest import Run


def test_lm_beats_the_unigram_baseline(lm_model: Path, small_text: Path) -> None:
    ev = evaluate_lm(LMEvaluateConfig(str(lm_model), LMDataConfig((str(small_text),), 0.1), orders=(1, 3)))
    assert ev.held_out_tokens > 1000
    assert ev.perplexity < 0.8 * ev.baselines["unigram"], ev  # measured about 0.5x
    assert ev.bits_per_token == pytest.approx(math.log2(ev.perplexity))


def test_generation_is_reproducible_with_a_seed(lm_model: Path) -> None:
    gen = TextGenerator.from_pretrained(lm_model)
    cfg = GenerateConfig(str(lm_model), prompt="The ", max_tokens=60, temperature=1.0, top_k=20, seed=7)
    first, again = gen(cfg), gen(cfg)
    assert first == again and len(first) > 20
    other = gen(
        GenerateConfig(str(lm_model), prompt="The ", max_tokens=60, temperature=1.0, top_k=20, seed=8)
    )
    assert other != first
    pieces = list(gen.stream("The ", max_tokens=30, seed=1))
    assert len(pieces) >= 25 and "".join(pieces) == gen(GenerateConfig(str(lm_model), "The ", 30, seed=1))
    greedy = gen(GenerateConfig(str(lm_model), "The ", 40, temperature=0.0))
    assert greedy == gen(GenerateConfig(str(lm_model), "The ", 40, temperature=0.0, seed=99))
    assert "[UNK]" not in gen(GenerateConfig(str(lm_model), "", 40, seed=3))


def test_kneser_ney_is_a_distribution_and_orders_help() -> None:
    text = [1 + (i * 7 + i // 3) % 11 for i in range(3000)]
    held = [1 + (i * 7 + i // 3) % 11 for i in range(3000, 3500)]
    for n in (1, 2, 3, 4):
        lm = NGramLM(n, 16).fit(text)
        assert sum(lm.prob(held[:5], w) for w in range(16)) == pytest.approx(1.0)
        assert lm.prob(held[:5], 15) > 0  # unseen ids keep some probability
    assert NGramLM(4, 16).fit(text).perplexity(held) < NGramLM(1, 16).fit(text).perplexity(held)


def test_stream_yields_each_piece_before_the_next_token_is_computed(lm_model: Path) -> None:
    """The library's iterator is lazy: the first piece comes after one forward pass over the prompt."""
    gen = TextGenerator.from_pretrained(lm_model)
    calls = []
    forward = gen.model.forward
    gen.model.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)  # type: ignore[method-assign]
    pieces = gen.stream("The ", max_tokens=30, seed=1)
    assert calls == []  # nothing runs before the first piece is asked for
    first = next(pieces)
    assert first and len(calls) == 1  # the prompt's pass only: the piece was not held back
    second = next(pieces)
    assert second and len(calls) == 2  # one more step per token
    rest = list(pieces)
    assert first + second + "".join(rest) == gen(GenerateConfig(str(lm_model), "The ", 30, seed=1))


class _Recorder(io.StringIO):
    """A stdout that logs each write and flush, to see when text reaches it."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def write(self, text: str) -> int:
        self.events.append("write")
        return super().write(text)

    def flush(self) -> None:
        self.events.append("flush")
        super().flush()


def _cli(monkeypatch: pytest.MonkeyPatch, stdout: io.StringIO, *args: str) -> int:
    from carrousel.nlp.cli import main

    monkeypatch.setattr(sys, "argv", ["nlp", *args])
    monkeypatch.setattr(sys, "stdout", stdout)
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0)


def test_cli_shorthand_streams_each_token_as_sampled(lm_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``nlp generate --model DIR --prompt TEXT`` (the issue's form) is ``nlp generate run``, and the text
    is written and flushed token by token, between the sampling steps, not at the end."""
    import carrousel.nlp.pipeline.generate as pipeline

    events: list[str] = []
    sample = pipeline.sample_next
    monkeypatch.setattr(pipeline, "sample_next", lambda *a: events.append("sample") or sample(*a))
    args = ["--model", str(lm_model), "--prompt", "The ", "--max-tokens", "25", "--seed", "3"]
    short = _Recorder(events)
    assert _cli(monkeypatch, short, "generate", *args) == 0
    text = short.getvalue()
    assert text.startswith("The ") and len(text) > 20
    steps = "".join("s" if e == "sample" else "f" if e == "flush" else "" for e in events)
    assert steps.count("s") == 25
    # a flush between (almost) every two samples: the pieces left as they came (a step may add no text)
    assert steps.count("sf") >= 20, steps
    full = io.StringIO()
    assert _cli(monkeypatch, full, "generate", "run", *args) == 0
    assert full.getvalue() == text  # the same command
    unknown = io.StringIO()
    assert _cli(monkeypatch, unknown, "generate", "trian", *args) == 2  # a misspelt command stays one


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--model", "m", "--top-p", "0"],  # an empty nucleus: was the config's exit 1
        ["evaluate", "--model", "m", "--text", "t.txt", "--orders", "0"],
        ["evaluate", "--model", "m", "--text", "t.txt", "--orders", "3,11"],
        ["evaluate", "--model", "m", "--text", "t.txt", "--holdout", "0"],  # was 'holdout must be in (0, 1)'
        ["train", "--text", "t.txt", "--holdout", "1", "-o", "out"],
    ],
)
def test_out_of_range_sampling_and_orders_are_usage_errors(nlp: Callable[..., Run], args: list[str]) -> None:
    result = nlp("generate", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "--help" in result.stderr
    assert any(flag in result.stderr for flag in ("--top-p", "--orders", "--holdout")), result.stderr


@pytest.mark.parametrize(
    ("holdout", "says"), [(0.001, "0.1%: the held-out tail"), (0.9999, "99.99%: the training")]
)
def test_a_holdout_that_leaves_nothing_names_the_side_and_the_fix(
    tmp_path: Path, holdout: float, says: str
) -> None:
    """Before: 'too short to hold out 0%; give more' for --holdout 0.001 on a 1,500-character text."""
    from carrousel.nlp.errors import TextDataError
    from carrousel.nlp.pipeline.generate import split_text

    text = tmp_path / "t.txt"
    text.write_text(
        "Redistribution and use in source and binary forms are permitted.\n" * 23, encoding="utf-8"
    )
    with pytest.raises(TextDataError, match=r"data\.holdout$") as info:
        split_text(LMDataConfig((str(text),), holdout))
    assert says in str(info.value)
