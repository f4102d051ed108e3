"""`speech train`'s summary line counts in the right number and gives a small corpus's audio in minutes.
Before: "trained on 6 utterances (0.00 h), 1 epochs, 1 steps in 2 s" for 8 s of audio."""

from __future__ import annotations

import re

from tests.speech.conftest import speech


def test_train_summary_of_one_step_on_a_small_corpus(capsys, monkeypatch, tmp_path, write_wav, tone) -> None:
    write_wav("a.wav", tone(3.0))
    write_wav("b.wav", tone(3.0))
    (tmp_path / "m.tsv").write_text("path\ttranscript\na.wav\tgo left\nb.wav\tstop\n", encoding="utf-8")
    args = ["train", "--data", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "out"), "--epochs", "1"]
    args += ["--max-steps", "1", "--val-fraction", "0", "--hidden", "8", "--layers", "1", "--threads", "1"]
    code, out, err = speech(capsys, monkeypatch, *args)
    assert code == 0, err
    assert re.match(r"trained on 2 utterances \(0\.1 min\), 1 epoch, 1 step in \d+ s ", out), out
