"""Numbers said alone: ``speech synth-corpus --lone-share F`` says a share of the digit strings and
numbers as one or two number words (``"two"``, ``"hundred"``, ``"twenty one"``).

Without them the corpus's lone words are mostly spelled letters and commands, and a model trained on it
read a lone "two" as ``g`` and "hundred" as ``r`` (the Asterisk prompts, README).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from carrousel.speech.config import SynthConfig
from carrousel.speech.synth import synth_corpus
from carrousel.speech.vocab import DIGITS, LONE_NUMBERS, VOCABULARY, short_number
from tests.speech.conftest import manifest_rows


def test_short_numbers_are_one_or_two_number_words() -> None:
    rng = random.Random(0)
    texts = [short_number(rng) for _ in range(3000)]
    assert all(1 <= len(t.split()) <= 2 and all(w in VOCABULARY for w in t.split()) for t in texts)
    lone = Counter(t for t in texts if " " not in t)
    assert set(lone) == set(LONE_NUMBERS)  # every number word is said alone, "hundred" and "oh" too
    assert 0.55 < sum(lone.values()) / len(texts) < 0.65
    assert {"hundred", "thousand", "million", "minus", "oh", "ten", "ninety"} <= set(LONE_NUMBERS)
    assert len(LONE_NUMBERS) == 33 and set(DIGITS) < set(LONE_NUMBERS)  # Asterisk's 33 number prompts
    assert short_number(random.Random(5)) == short_number(random.Random(5))


def test_synth_lone_share(tmp_path, engines) -> None:
    base = manifest_rows(synth_corpus(SynthConfig(out=str(tmp_path / "s"), utterances=24, seed=4)).manifest)
    cfg = SynthConfig(out=str(tmp_path / "m"), utterances=24, seed=4, lone_share=0.5, noise_share=0.2)
    mixed = manifest_rows(synth_corpus(cfg).manifest)
    noise = manifest_rows(
        synth_corpus(SynthConfig(out=str(tmp_path / "n"), utterances=24, seed=4, noise_share=0.2)).manifest
    )
    changed = [i for i, (a, b) in enumerate(zip(noise, mixed, strict=True)) if a != b]
    assert changed, "a share of 0.5 changed no utterance"
    for i in changed:  # only digit strings and numbers turn into 1-2 number words; their kind stays
        assert mixed[i][4] == noise[i][4] and mixed[i][4] in ("digits", "numbers")
        assert 1 <= len(mixed[i][1].split()) <= 2 and all(w in LONE_NUMBERS for w in mixed[i][1].split())
    # the rest are the corpus without the option, index by index (with and without no-speech rows)
    assert [r for i, r in enumerate(mixed) if i not in changed] == [
        r for i, r in enumerate(noise) if i not in changed
    ]
    for i in set(range(24)) - set(changed):  # byte for byte
        assert (tmp_path / "m" / mixed[i][0]).read_bytes() == (tmp_path / "n" / noise[i][0]).read_bytes()
    assert [r for r in noise if r[4] != "none"] == [
        b for b, r in zip(base, noise, strict=True) if r[4] != "none"
    ]


def test_synth_lone_share_one_says_only_short_numbers(tmp_path, engines) -> None:
    cfg = SynthConfig(out=str(tmp_path / "c"), utterances=12, seed=9, vocabulary=("numbers",), lone_share=1.0)
    rows = manifest_rows(synth_corpus(cfg).manifest)
    assert len(rows) == 12 and all(r[4] == "numbers" and 1 <= len(r[1].split()) <= 2 for r in rows)


def test_config_refuses_a_lone_share_outside_0_1(tmp_path: Path) -> None:
    from carrousel.speech.errors import SpeechConfigError

    with pytest.raises(SpeechConfigError, match="lone_share"):
        SynthConfig(out=str(tmp_path / "c"), lone_share=1.5)
