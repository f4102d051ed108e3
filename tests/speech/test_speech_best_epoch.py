"""`speech train` keeps, of epochs with the same validation CER, the one with the lowest validation loss.

Before: a short run whose CER stayed at 1.0 (the model still writing nothing) from epoch 2 on kept epoch 2,
though the validation loss fell at every later epoch (the walk's `train --epochs 3`: best_epoch 1)."""

from __future__ import annotations

import json

from tests.speech.conftest import speech


def test_tied_validation_cers_keep_the_lowest_validation_loss(
    capsys, monkeypatch, tmp_path, write_wav, tone
) -> None:
    rows = ["path\ttranscript"]
    for i in range(8):
        write_wav(f"{i}.wav", tone(1.0, 16000, 200.0 + 40 * i))
        rows.append(f"{i}.wav\t{['go left', 'stop', 'turn right', 'yes'][i % 4]}")
    (tmp_path / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["train", "--data", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "out"), "--epochs", "4"]
    args += [
        "--hidden",
        "8",
        "--layers",
        "1",
        "--threads",
        "1",
        "--val-fraction",
        "0.25",
        "--lr",
        "0.03",
        "--json",
    ]
    code, out, err = speech(capsys, monkeypatch, *args)
    assert code == 0, err
    doc = json.loads(out)
    history = doc["history"]
    cers, losses = [h["val_cer"] for h in history], [h["val_loss"] for h in history]
    best = min(cers)
    tied = [i for i, c in enumerate(cers) if c == best]
    assert len(tied) > 1, cers  # the case in question: several epochs share the best CER
    assert len({losses[i] for i in tied}) > 1, losses  # ... with different losses
    kept = min(tied, key=lambda i: losses[i]) + 1
    assert kept != tied[0] + 1  # main kept the first of them
    assert (doc["best_epoch"], doc["val_cer"]) == (kept, round(best, 4))
