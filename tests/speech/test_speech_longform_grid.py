"""A long recording's chunks start on the output frames' grid (30 ms: a 10 ms hop, the network's stride 3).

Before, chunk ``k`` started at ``k * chunk - OVERLAP`` seconds, taken to the nearest output frame: with 2 s
chunks, 33.3 frames a second, a chunk's frames were a third of a frame off the recording's, so they were
emissions for samples 10 ms apart from the whole file's (``longform._seam`` stitched the letters that moved).
The network's context (its recurrence, the per-chunk normalisation) still differs from chunk to chunk; what is
exact is the grid. So with a frame-local stand-in for the network (each output frame a fixed function of its
own 30 ms of samples), the frames a chunked transcription decodes are the whole file's, frame for frame.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import carrousel.speech.longform as longform
from tests.speech.test_speech_recognizer import tiny

SECONDS = 12.3  # six chunks of 2 s and a bit


def _frame_local(r, step: int):  # type: ignore[no-untyped-def]
    """``(input_features, log_probs)`` for ``r``: the samples themselves, and each output frame the
    log-softmax of a fixed projection of its own ``step`` samples (as many frames as the network gives)."""
    w = np.random.default_rng(0).standard_normal((step, r.alphabet.size)).astype(np.float64)

    def log_probs(feats: list[torch.Tensor]) -> list[np.ndarray]:
        out = []
        for f in feats:
            x = f.numpy().astype(np.float64)
            n = int(r.model.output_lengths(torch.tensor([r.extractor.num_frames(len(x))]))[0])
            frames = np.zeros(n * step)
            frames[: min(len(x), n * step)] = x[: n * step]
            z = frames.reshape(n, step) @ w
            out.append((z - np.logaddexp.reduce(z, axis=1, keepdims=True)).astype(np.float32))
        return out

    return (lambda x: torch.from_numpy(np.asarray(x, np.float32))), log_probs


@pytest.mark.parametrize("trim", [False, True])
def test_a_chunked_transcription_decodes_the_whole_files_frames(monkeypatch, write_wav, trim) -> None:
    """On main the chunks starting at 1, 5, 7 and 11 s (33.3, 166.7, 233.3, 366.7 frames) gave other
    samples' frames: 209 of the 410 differed. With ``trim``, the sound's frames are compared (the trimmed
    silence is blank): each sound starts 10 ms before a frame, so the trimmed start must be put on the grid
    too (the chunks on it and the trimmed start not: 27% of the compared values differed)."""
    r = tiny()
    step = r.features.hop_samples * r.model.subsample
    features, log_probs = _frame_local(r, step)
    monkeypatch.setattr(r, "input_features", features)
    monkeypatch.setattr(r, "log_probs", log_probs)
    decoded: list[np.ndarray] = []
    real_decode = longform.decode
    monkeypatch.setattr(
        longform, "decode", lambda lp, *a, **k: decoded.append(lp) or real_decode(lp, *a, **k)
    )
    rng = np.random.default_rng(1)
    x = (0.3 * rng.standard_normal(int(SECONDS * 16000))).astype(np.float32)
    if trim:  # 1.3 s of sound, 1.7 s of silence: the silences trimmed in every chunk, off the grid
        x *= (np.arange(len(x)) + 160) % 48000 < 20800  # sounds from 10 ms before a frame
    path = str(write_wav("long.wav", x, subtype="FLOAT"))
    list(r.transcribe_files([path], chunk_seconds=2.0, trim=trim))
    got, (whole,) = np.concatenate(decoded), log_probs([torch.from_numpy(x)])
    assert got.shape == whole.shape
    compared = np.ones(len(whole), bool)
    if trim:  # frames holding sound (0.3 s of margin either side read as the whole file)
        compared = np.abs(np.pad(x, (0, len(whole) * step - len(x)))).reshape(len(whole), step).max(1) > 0
    assert compared.sum() > len(whole) // 3
    np.testing.assert_allclose(got[compared], whole[compared], rtol=0, atol=1e-4)
