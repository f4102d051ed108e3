"""Segment times checked against their recording's length when a corpus is listed (segments.py).

Before: a Kaldi ``segments`` line or a timed manifest row ending past its recording's end was clipped silently
when read, so its utterance was shorter than its transcript's times and its ``seconds`` (used to batch and to
drop too-long utterances) was the length written, not the audio read (12.1 s for 0.8 s of audio); the Kaldi and
manifest start/end checks had two messages; a part's name was parsed twice per read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from carrousel.speech import audio, segments
from carrousel.speech.audio import read_audio, segment_path
from carrousel.speech.cli import app
from carrousel.speech.data import load_corpus, with_durations
from carrousel.speech.errors import CorpusError

PAST = r"^{file}: line {n}: segment end {end} s is past the end of rec.wav \(1.00 s\): fix the segment times$"


@pytest.fixture
def rec(tmp_path, tone) -> Path:  # type: ignore[no-untyped-def]
    """``rec.wav``: 1.0 s at 16 kHz, and a Kaldi data directory ``kaldi/`` naming it (no segments yet)."""
    path = tmp_path / "rec.wav"
    sf.write(str(path), tone(1.0, 16000, 200.0), 16000, subtype="PCM_16")
    (tmp_path / "kaldi").mkdir()
    (tmp_path / "kaldi" / "wav.scp").write_text(f"R {path}\n")
    (tmp_path / "kaldi" / "text").write_text("U1 go\nU2 stop\nU3 left\n")
    return path


def _kaldi(rec: Path, lines: str) -> Path:
    (rec.parent / "kaldi" / "segments").write_text(lines)
    return rec.parent / "kaldi"


def _nemo(rec: Path, *parts: tuple[float, float]) -> Path:
    m = rec.parent / "m.jsonl"
    rows = [{"audio_filepath": rec.name, "offset": o, "duration": d, "text": "go"} for o, d in parts]
    m.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return m


def _error(spec: Path) -> str:
    with pytest.raises(CorpusError) as err:
        load_corpus(str(spec))
    return str(err.value)


def test_a_kaldi_segment_past_the_end_is_reported_when_listed(rec) -> None:
    data = _kaldi(rec, "U1 R 0.0 0.5\nU2 R 0.2 12.3\n")  # before: listed as 12.1 s, read as 0.8 s
    message = _error(data)
    assert re.match(PAST.format(file=re.escape(str(data / "segments")), n=2, end="12.3"), message), message


def test_a_nemo_offset_and_duration_past_the_end_is_reported_when_listed(rec) -> None:
    m = _nemo(rec, (0.0, 0.5), (0.5, 2.0))  # before: listed as 2.0 s, read as 0.5 s
    message = _error(m)
    assert re.match(PAST.format(file=re.escape(str(m)), n=2, end="2.5"), message), message


def test_tsv_start_end_and_a_start_past_the_end_have_the_same_shape(rec) -> None:
    m = rec.parent / "m.tsv"
    m.write_text("path\ttext\tstart_ms\tend_ms\nrec.wav\tgo\t500\t3000\n", encoding="utf-8")
    assert re.match(PAST.format(file=re.escape(str(m)), n=2, end="3"), _error(m))
    data = _kaldi(rec, "U1 R 1.5 -1\n")  # -1: to the end, from past it (before: an error only when read)
    start = r"segment start 1.5 s is past the end of rec.wav \(1.00 s\): fix the segment times$"
    assert re.match(rf"^{re.escape(str(data / 'segments'))}: line 1: {start}", _error(data))


def test_an_overshoot_within_the_tolerance_is_clipped_silently(rec, caplog) -> None:
    over = 1.0 + segments.TOLERANCE * 0.9
    for spec in (_kaldi(rec, f"U1 R 0.5 {over!r}\n"), _nemo(rec, (0.5, over - 0.5))):
        (utt,) = with_durations(load_corpus(str(spec)))
        assert utt.path == segment_path(rec, 0.5, 1.0) and utt.seconds == pytest.approx(0.5)  # before: 0.509
        assert len(read_audio(utt.path, 16000)) == 8000
    assert "past the end" not in caplog.text
    data = _kaldi(rec, f"U1 R 0.5 {1.0 + segments.TOLERANCE * 1.5!r}\n")  # just over it: reported
    assert "is past the end of rec.wav" in _error(data)


def test_each_recording_is_measured_once(rec, monkeypatch) -> None:
    measured = []
    info = segments.audio_info
    monkeypatch.setattr(segments, "audio_info", lambda p: measured.append(p) or info(p))
    load_corpus(str(_kaldi(rec, "U1 R 0.0 0.3\nU2 R 0.3 0.6\nU3 R 0.6 -1\n")))
    assert measured == [rec]  # three segments, one header read


def test_a_part_name_is_parsed_once_per_read(rec, monkeypatch) -> None:
    parsed, split = [], audio.split_segment
    monkeypatch.setattr(audio, "split_segment", lambda p: parsed.append(p) or split(p))
    part = segment_path(rec, 0.0, 0.3)
    assert len(read_audio(part, 16000)) == 4800 and len(list(audio.iter_chunks(part, 16000, 0.1))) == 3
    assert parsed == [part, part]  # before: twice per read (audio_info, then the read)


def test_a_missing_recording_of_a_timed_row_is_refused_when_listed(rec) -> None:
    m = rec.parent / "m.tsv"  # before: listed, and refused only when read (training, evaluation)
    m.write_text("path\ttext\tstart\tend\ngone.wav\tgo\t0.5\t3\n", encoding="utf-8")
    message = _error(m)
    assert message.startswith(f"{m}: line 2: {rec.parent / 'gone.wav'}: no such file"), message
    assert message.endswith("or leave it out of the corpus"), message


def test_speech_evaluate_reports_the_segment_in_one_line_and_exits_1(rec) -> None:
    m = _nemo(rec, (0.0, 0.5), (0.5, 2.0))
    res = CliRunner().invoke(app, ["evaluate", "--data", str(m), "--threads", "1"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1, res.output
    assert (
        "line 2: segment end 2.5 s is past the end of rec.wav (1.00 s): fix the segment times" in res.output
    )
