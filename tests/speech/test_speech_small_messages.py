"""Small `speech` fixes: rounded JSON durations and error lines that name their fix."""

from __future__ import annotations

import json

import pytest

from tests.cli_harness import assert_clean_failure


def test_transcribe_json_seconds_are_rounded(invoke, write_wav, tone, model) -> None:
    """On main: "seconds": 1.409342403628118 (31077 frames at 22.05 kHz), not 1.409."""
    path = write_wav("odd.wav", tone(2.0, 22050)[:31077], 22050)
    done = invoke("speech", "transcribe", "--model", model, "--json", path)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["transcripts"][0]["seconds"] == 1.409, done.stdout


def test_transcribe_json_is_an_object_and_its_nbest_scores_are_rounded(
    invoke, write_wav, tone, model
) -> None:
    """On main: a bare list of the entries (every other --json prints an object) and ``nbest`` scores such
    as -4.133464047808231 (the shipped model, a 1 s tone) beside 4-decimal confidences. Now
    ``{"transcripts": [...], "failed": 0}``, the scores to 4 decimals as the confidences."""
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7))
    done = invoke("speech", "transcribe", "--model", model, "--beam", "4", "--nbest", "3", "--json", a, b)
    assert done.code == 0, done.stderr
    doc = json.loads(done.stdout)
    assert isinstance(doc, dict) and set(doc) == {"transcripts", "failed"} and doc["failed"] == 0, doc
    assert [t["path"] for t in doc["transcripts"]] == [str(a), str(b)]
    scores = [alt["score"] for t in doc["transcripts"] for alt in t["nbest"]]
    assert len(scores) >= 4 and all(s == round(s, 4) for s in scores), scores


def test_model_folder_without_bundle_names_the_fix(invoke, write_wav, tone, tmp_path) -> None:
    """On main: "... holds no bundle.json, so it is not a carrousel model", and no way out."""
    (empty := tmp_path / "empty").mkdir()
    path = write_wav("a.wav", tone(0.5))
    done = invoke("speech", "transcribe", "--model", empty, path)
    assert_clean_failure(done, 1)
    assert "not a carrousel model" in done.stderr and "train one into it" in done.stderr, done.stderr


def test_folder_of_audio_without_transcripts_says_so(invoke, write_wav, tone, tmp_path) -> None:
    """On main: "--data ...: no transcribed recordings found", of a folder holding two recordings."""
    for name in ("a.wav", "b.wav"):
        write_wav(name, tone(0.5))
    done = invoke("speech", "evaluate", "--data", tmp_path)
    assert_clean_failure(done, 1)
    err = done.stderr
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
