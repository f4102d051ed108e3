"""``benchmarks/bench_speech_accuracy.py``: each row's WER with a bootstrap standard error, kinds from one run.

A held-out row of a few hundred words moves by 0.02-0.03 between two draws of the same kind (session 28's
v5 was refused on such rows), so each row now says how far its WER would move: a standard error from
utterances drawn with replacement. The kind and channel rows come from the one evaluation's
per-utterance scores (the held-out set is transcribed once per decoding, not three times).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.speech.metrics import UtteranceScore, error_rates, score_utterance
from carrousel.speech.pipeline import EvaluationResult
from tests.bench_scripts import bench_module


def _one_word(right: int, wrong: int) -> list[UtteranceScore]:
    """``right`` utterances of one word said right, ``wrong`` said wrong (one substitution each)."""
    return [score_utterance(f"{i}.wav", "two", "two" if i < right else "g") for i in range(right + wrong)]


def test_standard_error_is_the_binomial_one_for_one_word_utterances() -> None:
    bench = bench_module("bench_speech_accuracy")
    scores = _one_word(300, 100)  # WER 0.25 over 400 words: sqrt(0.25 * 0.75 / 400) = 0.0217
    assert error_rates(scores).wer == pytest.approx(0.25)
    se = bench.wer_standard_error(scores, 2000)
    assert se == pytest.approx(math.sqrt(0.25 * 0.75 / 400), rel=0.1)
    assert bench.wer_standard_error(scores, 2000) == se  # seeded: same scores, same estimate
    # four times the utterances, half the standard error
    assert bench.wer_standard_error(_one_word(1200, 400), 2000) == pytest.approx(se / 2, rel=0.15)
    assert bench.wer_standard_error(_one_word(50, 0), 500) == 0.0  # no errors: nothing to move
    assert math.isnan(bench.wer_standard_error(scores, 0)) and math.isnan(bench.wer_standard_error([], 10))


def test_long_utterances_count_their_words(tmp_path: Path) -> None:
    """Errors summed then divided: a ten-word utterance weighs ten times a one-word one."""
    bench = bench_module("bench_speech_accuracy")
    ten = " ".join(["one"] * 10)
    scores = [score_utterance("a.wav", ten, ten), score_utterance("b.wav", "two", "g")]
    wer = error_rates(scores).wer
    assert wer == pytest.approx(1 / 11)
    se = bench.wer_standard_error(scores, 4000)
    draws = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])  # the four equally likely draws of two
    errors, words = np.array([0.0, 1.0]), np.array([10.0, 1.0])
    exact = errors[draws].sum(1) / words[draws].sum(1)
    assert se == pytest.approx(exact.std(), rel=0.1)


def test_kind_and_channel_rows_come_from_one_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = bench_module("bench_speech_accuracy")
    rows = [  # path, transcript, kind, effects, what the fake model says
        ("a.wav", "one two", "digits", "telephone", "one two"),
        ("b.wav", "twelve", "numbers", "room+telephone", "o"),
        ("c.wav", "b c", "letters", "clean", "b"),
        ("d.wav", "go", "commands", "noise", "go"),
        ("e.wav", "three", "digits", "clean", "tree"),
    ]
    lines = ["path\ttranscript\tkind\teffects"] + [f"{p}\t{t}\t{k}\t{e}" for p, t, k, e, _ in rows]
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = {str((tmp_path / p).resolve()): (t, h) for p, t, _, _, h in rows}
    calls: list[tuple[str, ...]] = []

    def fake_evaluate(cfg: Any) -> EvaluationResult:
        calls.append(cfg.data)
        scores = tuple(score_utterance(p, t, h) for p, (t, h) in said.items())
        return EvaluationResult(
            "m", cfg.data, "greedy", len(scores), error_rates(scores), 10.0, 1.0, 0.1, scores
        )

    monkeypatch.setattr(bench, "evaluate", fake_evaluate)
    argv = ["bench_speech_accuracy.py", "--heldout-data", str(manifest), "--sets", "synthetic"]
    monkeypatch.setattr(sys, "argv", [*argv, "--beam", "0", "--json", "--bootstrap", "200"])
    bench.main()
    out = json.loads(capsys.readouterr().out)
    assert calls == [(str(manifest),)]  # one evaluation (greedy only: --beam 0), every row from it
    assert list(out) == [
        "synthetic held-out",
        "- commands",
        "- digits",
        "- letters",
        "- numbers",
        "- telephone 8 kHz",
        "- wideband",
    ]
    assert all(list(by) == ["greedy"] for by in out.values())
    digits = out["- digits"]["greedy"]
    assert (digits["utterances"], digits["words"], digits["wer"]) == (2, 3, pytest.approx(1 / 3))
    phone = out["- telephone 8 kHz"]["greedy"]
    assert (phone["utterances"], phone["words"], phone["wer"]) == (2, 3, pytest.approx(1 / 3))
    assert out["- wideband"]["greedy"]["words"] == 4
    assert out["- commands"]["greedy"]["wer_se"] == 0.0  # one utterance said right
    assert 0 < out["synthetic held-out"]["greedy"]["wer_se"] < 0.5
    # no draws: no standard error, written as null (strict JSON has no NaN)
    monkeypatch.setattr(sys, "argv", [*argv, "--beam", "0", "--json", "--bootstrap", "0"])
    bench.main()
    strict = json.loads(capsys.readouterr().out, parse_constant=_refuse)
    assert {by["greedy"]["wer_se"] for by in strict.values()} == {None}


def _refuse(name: str) -> None:
    raise AssertionError(f"not strict JSON: {name}")


def test_clipped_sets_cut_a_recording_to_its_sound_and_never_cut_noise() -> None:
    """``--clipped``: a recording cut from its first to its last sound (a clip that starts on its word);
    one whose every frame is loud (noise throughout) stays whole, as the recogniser's trim keeps it."""
    bench = bench_module("bench_speech_accuracy")
    t = np.arange(8000, dtype=np.float32) / 16000
    word = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    quiet = np.zeros(4800, np.float32)
    clip, rate = bench._clipped(np.concatenate([quiet, word, quiet]), 0)
    assert rate == 16000 and len(clip) == len(word) and np.array_equal(clip, word)
    hiss = 0.05 * np.random.default_rng(0).standard_normal(17600).astype(np.float32)
    noisy = np.concatenate([quiet, word, quiet]) + hiss
    assert np.array_equal(bench._clipped(noisy, 0)[0], noisy)
