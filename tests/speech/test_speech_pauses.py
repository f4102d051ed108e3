"""Pauses inside an utterance: ``speech synth-corpus --pause-share F`` says a share of the speech rows as
2-4 groups of words synthesised apart and joined by 0.3-1.0 s of digital silence (``carrousel.speech.pauses``,
shared with ``benchmarks/bench_speech_pauses.py``).

Without it no training utterance held a pause inside, and the shipped model (v6) dropped the first sound
of the word after one (``stop`` -> ``top``; the benchmark's paused set: 484 hypothesis words for 572).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.config import SynthConfig
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.pauses import GROUPS, PAUSE_SECONDS, join_with_pauses, pause_groups
from carrousel.speech.synth import synth_corpus
from carrousel.speech.vocab import KINDS
from tests.cli_harness import Outcome, assert_clean_failure
from tests.speech.conftest import manifest_rows


def _longest_zero_run(x: np.ndarray) -> int:
    """The longest stretch of exact zeros strictly between the first and the last non-zero sample."""
    nz = np.flatnonzero(x)
    return int(np.max(np.diff(nz)) - 1) if len(nz) > 1 else 0


def test_pause_groups_are_2_to_4_short_corpus_utterances() -> None:
    rng = random.Random(3)
    for _ in range(200):
        groups = pause_groups(rng)
        assert GROUPS[0] <= len(groups) <= GROUPS[1]
        for kind, transcript, spoken in groups:
            assert kind in KINDS and transcript and spoken
            if len(transcript.split()) == len(spoken.split()):  # cut groups keep 1-3 words
                assert 1 <= len(transcript.split()) <= 3


def test_pause_groups_most_2_keeps_every_sentence_at_2_groups() -> None:
    """``most`` (``speech synth-corpus --pause-groups``) caps the groups; the default draws as before."""
    rng = random.Random(3)
    assert all(len(pause_groups(rng, most=2)) == 2 for _ in range(100))
    assert pause_groups(random.Random(9)) == pause_groups(random.Random(9), most=GROUPS[1])
    with pytest.raises(ValueError, match=r"most must be in 2\.\.4"):
        pause_groups(random.Random(0), most=5)


def test_join_with_pauses_puts_silence_of_the_drawn_length_between_parts() -> None:
    parts = [np.full(100, 0.5, np.float32), np.full(50, -0.5, np.float32), np.full(10, 0.25, np.float32)]
    x = join_with_pauses(parts, 1000, np.random.default_rng(0))
    nz = np.flatnonzero(x)
    gaps = [int(g) - 1 for g in np.diff(nz) if g > 1]
    assert len(gaps) == 2 and all(PAUSE_SECONDS[0] * 1000 <= g <= PAUSE_SECONDS[1] * 1000 for g in gaps)
    assert len(x) == 160 + sum(gaps) and x.dtype == np.float32


def test_synth_pause_share_holds_a_silent_stretch_between_words(tmp_path: Path, engines) -> None:
    cfg = SynthConfig(
        out=str(tmp_path / "p"), utterances=8, seed=5, clean_fraction=1.0, pause_share=1.0, workers=1
    )
    rows = manifest_rows(synth_corpus(cfg).manifest)
    assert all(r[5] == "pause" and len(r[1].split()) >= 2 for r in rows)
    for r in rows:  # without a channel the pause is digital silence, at least 0.3 s, between two sounds
        audio, rate = sf.read(str(tmp_path / "p" / r[0]), dtype="int16")
        assert _longest_zero_run(audio) >= PAUSE_SECONDS[0] * rate


def test_synth_pause_share_changes_only_the_paused_rows(tmp_path: Path, engines) -> None:
    base_cfg = SynthConfig(
        out=str(tmp_path / "n"), utterances=16, seed=4, noise_share=0.2, clip_share=0.3, workers=1
    )
    base = manifest_rows(synth_corpus(base_cfg).manifest)
    zero = manifest_rows(synth_corpus(SynthConfig(**{**vars(base_cfg), "out": str(tmp_path / "z")})).manifest)
    paused_cfg = SynthConfig(**{**vars(base_cfg), "out": str(tmp_path / "p"), "pause_share": 0.5})
    paused = manifest_rows(synth_corpus(paused_cfg).manifest)
    assert zero == base  # share 0 (the default) is the corpus as before, byte for byte
    for a, b in zip(base, zero, strict=True):
        assert (tmp_path / "n" / a[0]).read_bytes() == (tmp_path / "z" / b[0]).read_bytes()
    changed = [i for i, (a, b) in enumerate(zip(base, paused, strict=True)) if a != b]
    assert changed, "a share of 0.5 paused no utterance"
    for i in changed:  # same voice, speech still; the effects say so
        assert paused[i][3] == base[i][3] and base[i][4] != "none" and "pause" in paused[i][5].split("+")
    for i in set(range(16)) - set(changed):
        assert "pause" not in paused[i][5]
        assert (tmp_path / "p" / paused[i][0]).read_bytes() == (tmp_path / "n" / base[i][0]).read_bytes()


def test_synth_pause_groups_2_writes_two_groups_joined_by_one_pause(tmp_path: Path, engines) -> None:
    """``--pause-groups 2``: every paused row two groups of 1-3 words, one silent stretch between them."""
    cfg = SynthConfig(
        out=str(tmp_path / "p"),
        utterances=8,
        seed=5,
        clean_fraction=1.0,
        pause_share=1.0,
        pause_groups=2,
        workers=1,
    )
    rows = manifest_rows(synth_corpus(cfg).manifest)
    assert all(r[5] == "pause" for r in rows)
    for r in rows:
        audio, rate = sf.read(str(tmp_path / "p" / r[0]), dtype="int16")
        nz = np.flatnonzero(audio)
        pauses = [int(g) - 1 for g in np.diff(nz) if g - 1 >= PAUSE_SECONDS[0] * rate]
        assert len(pauses) == 1, r  # 2 groups: exactly one pause of at least 0.3 s inside


def test_config_refuses_pause_groups_outside_2_4(tmp_path: Path) -> None:
    for bad in (1, 5):
        with pytest.raises(SpeechConfigError, match=r"pause_groups must be in 2\.\.4"):
            SynthConfig(out=str(tmp_path / "c"), pause_groups=bad)


def test_config_refuses_a_pause_share_outside_0_1(tmp_path: Path) -> None:
    with pytest.raises(SpeechConfigError, match="pause_share"):
        SynthConfig(out=str(tmp_path / "c"), pause_share=1.5)


@pytest.mark.parametrize("groups", ["1", "5", "x"])
def test_synth_bad_pause_groups_is_a_usage_error(
    invoke: Callable[..., Outcome], tmp_path: Path, groups: str
) -> None:
    outcome = invoke("speech", "synth-corpus", "--out", tmp_path / "c", "-n", "2", "--pause-groups", groups)
    assert_clean_failure(outcome, 2)
    assert outcome.stdout == "" and "--pause-groups" in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1 and not (tmp_path / "c").exists()
