"""A float recording whose samples pass [-1, 1] (integer values saved as float) is read in [-1, 1], by the
same per-file constant whole, by part and block by block (before: read unscaled, peak 32768)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.audio import iter_chunks, read_audio

RATE = 16000
LOGGER = "carrousel.speech.fullscale"


def _signal() -> np.ndarray:
    """3 s: a quiet tone, then a loud one in the last second (the first blocks do not hold the peak)."""
    t = np.arange(3 * RATE) / RATE
    x = 0.05 * np.sin(2 * np.pi * 220 * t)
    x[2 * RATE :] *= 18.0  # peak 0.9
    return x.astype(np.float32)


def _write(path: Path, x: np.ndarray, subtype: str) -> Path:
    sf.write(path, x, RATE, subtype=subtype)
    return path


def test_integer_scale_float_reads_as_pcm(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    x = _signal()
    pcm = read_audio(_write(tmp_path / "pcm.wav", x, "PCM_16"), RATE)
    with caplog.at_level("WARNING", logger=LOGGER):
        y = read_audio(_write(tmp_path / "big.wav", x * 32768, "FLOAT"), RATE)
    assert np.abs(y).max() <= 1.0
    assert np.abs(y - pcm).max() < 1e-3  # the level the same samples have as 16-bit PCM
    assert "big.wav" in caplog.text and "32768" in caplog.text and "Rescale" in caplog.text


def test_blocks_and_parts_use_the_files_constant(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.wav", _signal() * 32768, "FLOAT")
    whole = read_audio(path, RATE)
    chunks = [x for _, x in iter_chunks(path, RATE, 0.5)]  # the first blocks hold only the quiet tone
    assert max(float(np.abs(c).max()) for c in chunks) <= 1.0
    assert np.abs(np.concatenate(chunks) - whole).max() < 1e-6
    part = read_audio(f"{path}#0.5-1.5", RATE)  # quiet part: scaled as the file, not by its own peak
    assert np.abs(part - whole[RATE // 2 : 3 * RATE // 2]).max() < 1e-6


def test_float_past_full_scale_by_a_little_is_read_as_stored(tmp_path: Path) -> None:
    """A hot float mix (peak 1.5) is the level its writer chose, read as it is (features are
    level-normalised); only integer values saved as float (peak above 2) are rescaled."""
    x = (_signal() / 0.9 * 1.5).astype(np.float32)  # peak 1.5: a hot float mix
    y = read_audio(_write(tmp_path / "hot.wav", x, "FLOAT"), RATE)
    assert np.array_equal(y, x)


def test_in_range_float_and_pcm_are_untouched(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from carrousel.speech.fullscale import float_scale  # new in this change; the tests above fail without it

    x = _signal()
    with caplog.at_level("WARNING", logger=LOGGER):
        assert float_scale(_write(tmp_path / "ok.wav", x, "FLOAT")) == 1.0
        assert float_scale(_write(tmp_path / "pcm.wav", x, "PCM_16")) == 1.0
        y = read_audio(tmp_path / "ok.wav", RATE)
    assert np.array_equal(y, x)
    assert caplog.text == ""
