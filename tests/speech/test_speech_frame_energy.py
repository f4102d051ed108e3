"""The 10 ms frame energy (dB) is computed in one place, :func:`carrousel.speech.waveform.frame_energy_db`.

Before, ``audio.speech_bounds`` (a file's trimmed silence) and ``streaming.LeadingSilence`` (a stream's held
back silence) each wrote the same formula (squares in float64, the frame's mean, ``10 log10(. + 1e-12)``);
now both call it, and what they return on the sample recordings is what they returned before.
"""

from __future__ import annotations

import numpy as np

import carrousel.speech.streaming as streaming
import carrousel.speech.waveform as waveform
from carrousel.speech.audio import read_audio, speech_bounds
from carrousel.speech.streaming import LeadingSilence

# (speech_bounds, speech_bounds with no margin, the gate's dropped samples) of the five "cards" recordings
# after 1 s of silence and noise, as on main before the change
CARDS = [
    ((0, 17526), (160, 17440), 12320),
    ((0, 31364), (0, 30400), 11200),
    ((0, 24611), (160, 24480), 12800),
    ((0, 24864), (2240, 20480), 13440),
    ((0, 56040), (3360, 56000), 14560),
]


def _gate(x: np.ndarray) -> LeadingSilence:
    """A stream's gate fed 1 s of silence, then ``x``, noise over both, in 100 ms chunks."""
    y = np.concatenate([np.zeros(16000, np.float32), x])
    y = y + 1e-3 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    gate = LeadingSilence(160, 480, 16000)
    for chunk in np.array_split(y, len(y) // 1600):
        gate.push(chunk)
    return gate


def test_speech_bounds_and_the_stream_gate_read_the_one_frame_energy(monkeypatch) -> None:
    from carrousel.speech.audio import frame_energy_db  # on main: none (the formula written twice)

    calls: list[int] = []

    def spy(x: np.ndarray, hop: int) -> np.ndarray:
        calls.append(hop)
        return frame_energy_db(x, hop)

    monkeypatch.setattr(waveform, "frame_energy_db", spy)  # its home since audio.py was split
    monkeypatch.setattr(streaming, "frame_energy_db", spy)
    x = np.zeros(16000, np.float32)
    x[8000:12000] = 0.1 * np.sin(np.arange(4000) / 3)
    assert speech_bounds(x, 16000, margin=0.0) == (8000, 12000) and calls == [160]
    assert _gate(x).open and len(calls) > 1 and set(calls) == {160}


def test_frame_energy_db_is_each_whole_frames_mean_square_in_db() -> None:
    from carrousel.speech.audio import frame_energy_db

    x = np.r_[np.full(160, 0.1), np.zeros(160), np.full(100, 1.0)].astype(np.float32)
    np.testing.assert_allclose(frame_energy_db(x, 160), [-20.0, -120.0], atol=1e-6)
    assert frame_energy_db(x[:100], 160).shape == (0,)


def test_the_sample_recordings_are_trimmed_and_gated_as_before(real) -> None:
    """Passes on main too: the values are main's."""
    got = []
    for path, _ in real("cards"):
        x = read_audio(path, 16000)
        got.append((speech_bounds(x, 16000), speech_bounds(x, 16000, margin=0.0), _gate(x).dropped))
    assert got == CARDS
