"""A stream's leading silence is held back until its sound starts, as transcription trims a file's.

The causal normalisation's running statistics take in every frame: a second of silence before the speech
dragged them far from the speech's, and the stream read differently from the same file transcribed (whose
features start 0.3 s before its sound). Before: the shipped stream model read espeak-ng's "seven of clubs"
after 1 s of digital silence as "seven one twe oh" (the file: "seven n two oh"), the sample corpus's
recording of it as "even ost" (the file: "seven oe")."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.speech.recognizer import Recognizer, shipped_model_path
from tests.speech.conftest import spoken


@pytest.fixture(scope="module")
def clubs(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return spoken("seven of clubs", tmp_path_factory.mktemp("clubs"))


@pytest.mark.parametrize(("lead", "noise"), [(0.5, 0.0), (1.0, 0.0), (1.0, 1e-3), (2.0, 0.0), (2.0, 1e-3)])
def test_a_stream_after_silence_reads_as_its_file(clubs, write_wav, lead: float, noise: float) -> None:
    rec = Recognizer.from_pretrained(shipped_model_path("stream"))
    y = np.concatenate([np.zeros(int(lead * 16000), np.float32), clubs, np.zeros(8000, np.float32)])
    y = y + noise * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    (offline,) = rec.transcribe_files([str(write_wav("s.wav", y))])
    *_, final = rec.stream(iter(np.array_split(y, len(y) // 1600)))  # 100 ms chunks
    assert final.text == offline.text, (final.words, offline.words)
    for s, o in zip(final.words, offline.words, strict=True):  # times stay the stream's
        assert abs(s.start - o.start) <= 0.05, (s, o)


def test_the_gate_keeps_the_margin_before_the_sound_and_all_of_a_stream_that_starts_loud() -> None:
    from carrousel.speech.streaming import LeadingSilence

    x = np.zeros(32000, np.float32)
    x[20000:] = 0.1 * np.sin(np.arange(12000) / 3)  # sound at 1.25 s
    gate = LeadingSilence(160, 480, 16000)
    out = [gate.push(c) for c in np.array_split(x, 20)]
    kept = np.concatenate(out)
    assert gate.open and gate.dropped + len(kept) == len(x)
    assert gate.dropped == 20000 - 4800  # 0.3 s before the sound, a whole 10 ms frame
    loud = LeadingSilence(160, 480, 16000)
    assert len(loud.push(x[20000:])) == 12000 and loud.dropped == 0
