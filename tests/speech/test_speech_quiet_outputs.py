"""``-q`` (errors only) prints nothing once the results went to a folder that holds them: before,
``speech synth-corpus -o DIR -q`` printed ``N utterances, M min of audio, ...`` (``manifest.tsv`` holds a row
per utterance: its seconds and speaker) and ``speech train -o DIR -q`` its ``trained on ...`` line
(``bundle.json``'s provenance ``train`` holds every figure of it). ``--json`` still prints under ``-q``."""

from __future__ import annotations

import json

from tests.speech.conftest import speech


def test_synth_corpus_quiet_prints_nothing(capsys, monkeypatch, tmp_path, engines) -> None:  # type: ignore[no-untyped-def]
    corp = tmp_path / "corp"
    code, out, err = speech(
        capsys, monkeypatch, "synth-corpus", "-o", str(corp), "-n", "2", "--workers", "1", "-q"
    )
    assert code == 0, err
    assert (
        out == "" and err == ""
    )  # before: "2 utterances, 0.0 min of audio, 2 voices (...) -> corp/manifest.tsv"
    assert len((corp / "manifest.tsv").read_text().splitlines()) == 3  # header + a row per utterance


def test_train_quiet_prints_nothing(capsys, monkeypatch, tmp_path, write_wav, tone) -> None:  # type: ignore[no-untyped-def]
    rows = ["path\ttranscript"]
    for i in range(8):
        write_wav(f"u{i}.wav", tone(1.0, freq=120.0 + 30 * i))
        rows.append(f"u{i}.wav\t{'yes' if i % 2 else 'no'}")
    (tmp_path / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    base = ["train", "--data", str(tmp_path / "m.tsv"), "--hidden", "8", "--layers", "1", "--max-steps", "2"]
    base += ["--workers", "0"]
    code, out, err = speech(capsys, monkeypatch, *base, "-o", str(tmp_path / "m"), "-q")
    assert code == 0, err
    assert out == "" and err == ""  # before: "trained on 7 utterances (0.1 min), 2 epochs, 2 steps in ..."
    held = json.loads((tmp_path / "m" / "bundle.json").read_text())["data"]["train"]
    keys = {"utterances", "audio_hours", "epochs", "steps", "elapsed", "audio_seconds_per_second", "val_cer"}
    assert keys | {"best_epoch", "parameters"} <= set(held)  # every figure of the line, in the folder
    code, out, err = speech(capsys, monkeypatch, *base, "-o", str(tmp_path / "j"), "-q", "--json")
    assert code == 0 and json.loads(out)["steps"] == held["steps"]  # --json: the output, printed
