"""A short file (not read in chunks) tells decode where its trimmed features' sound starts, as a long
file's trimmed chunks do: an early first letter (emitted at the trimmed features' first frame, 0.3 s before
the sound) stays only with a word said within WORD_PAUSE of that sound.

Before: the short path passed no ``sound_start``; a word read as its "g" alone and "sheila" said 2.3 s
later came out "gsheila" (a long file: "g sheila")."""

from __future__ import annotations

import numpy as np
import torch

from carrousel.speech import recognizer as rec_mod
from carrousel.speech.longform import sound_span
from carrousel.speech.text import ENGLISH
from tests.speech.test_speech_recognizer import tiny


def test_a_short_files_early_letter_joins_no_word_said_long_after_its_sound(write_wav, monkeypatch) -> None:
    rec, rate = tiny(), 16000
    y = 1e-3 * np.random.default_rng(0).standard_normal(5 * rate).astype(np.float32)
    for at in (1.0, 3.3):
        y[int(at * rate) : int(at * rate) + int(0.3 * rate)] += 0.3 * np.sin(np.arange(int(0.3 * rate)) / 3)
    begin, _, onset = sound_span(y, rate, True)
    assert 0.6 < begin / rate < onset <= 1.01
    fs, index = rec.frame_seconds, {s: i for i, s in enumerate(ENGLISH.symbols)}

    def scripted(self: rec_mod.Recognizer, feats: list) -> list[np.ndarray]:  # type: ignore[type-arg]
        out = []
        for f in feats:
            n = int(self.model.output_lengths(torch.tensor([f.shape[0]]))[0])
            lp = np.full((n, ENGLISH.size), -30.0, np.float32)
            lp[:, 0] = 0.0
            said = [(0, "g")] + [
                (round((3.3 - begin / rate) / fs) + 2 * k, c) for k, c in enumerate("sheila")
            ]
            for t, c in said:
                lp[t, 0], lp[t, index[c]] = -30.0, 0.0
            out.append(lp)
        return out

    monkeypatch.setattr(rec_mod.Recognizer, "log_probs", scripted)
    (t,) = rec.transcribe_files([str(write_wav("short.wav", y))], chunk_seconds=30.0)
    assert t.text == "g sheila", t.words
    g, sheila = t.words
    assert abs(g.start - onset) < 0.05 and abs(sheila.start - 3.3) < 0.05, t.words
