"""Small `speech` fixes: rounded JSON durations and error lines that name their fix."""

from __future__ import annotations

import json

import pytest

from tests.speech.conftest import speech


def test_transcribe_json_seconds_are_rounded(capsys, monkeypatch, write_wav, tone, model) -> None:
    """On main: "seconds": 1.409342403628118 (31077 frames at 22.05 kHz), not 1.409."""
    path = write_wav("odd.wav", tone(2.0, 22050)[:31077], 22050)
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, "--json", str(path))
    assert code == 0, err
    assert json.loads(out)[0]["seconds"] == 1.409, out


def test_model_folder_without_bundle_names_the_fix(capsys, monkeypatch, write_wav, tone, tmp_path) -> None:
    """On main: "... holds no bundle.json, so it is not a carrousel model", and no way out."""
    (empty := tmp_path / "empty").mkdir()
    path = write_wav("a.wav", tone(0.5))
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", str(empty), str(path))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "not a carrousel model" in err and "train one into it" in err, err


def test_folder_of_audio_without_transcripts_says_so(capsys, monkeypatch, write_wav, tone, tmp_path) -> None:
    """On main: "--data ...: no transcribed recordings found", of a folder holding two recordings."""
    for name in ("a.wav", "b.wav"):
        write_wav(name, tone(0.5))
    code, out, err = speech(capsys, monkeypatch, "evaluate", "--data", str(tmp_path))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "holds 2 audio files but no transcripts" in err and ".txt transcript beside each" in err, err
    assert "manifest" in err, err


def test_unreadable_audio_names_what_soundfile_reads(tmp_path) -> None:
    """On main: "give a WAV, FLAC or OGG file" though libsndfile >= 1.1 reads MP3 too (1.2.2 here)."""
    import soundfile as sf

    from carrousel.speech.audio import read_audio
    from carrousel.speech.errors import CorruptAudioError

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 64)
    with pytest.raises(CorruptAudioError) as info:
        read_audio(bad, 16000)
    said = str(info.value).partition("; give a ")[2].partition(" file")[0]
    named = said.replace(" or ", ", ").split(", ")
    available = sf.available_formats()
    assert named and all(f in available for f in named), (said, sorted(available))
    assert ("MP3" in named) == ("MP3" in available), said
