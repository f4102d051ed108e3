"""Manifests naming parts of one long recording: NeMo's ``offset`` + ``duration``, ``start`` / ``end`` columns.

Before, the times were ignored: every row read the whole long recording (the wrong audio for its transcript).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.audio import read_audio
from carrousel.speech.cli import main
from carrousel.speech.data import load_corpus, with_durations
from carrousel.speech.errors import CorpusError

GAP = 0.3  # seconds of silence between the two recordings in the long one


@pytest.fixture
def long_recording(tmp_path, write_wav, tone):  # type: ignore[no-untyped-def]
    """``audio/a.wav`` (1 s, 16 kHz) and ``audio/b.wav`` (0.5 s, 8 kHz) as test_speech_data writes them, and
    ``long.wav``: a, 0.3 s of silence, then b (read at 16 kHz), so a is [0, 1.0) s and b [1.3, 1.8) s."""
    (tmp_path / "audio").mkdir()
    a = write_wav("audio/a.wav", tone(1.0))
    b = write_wav("audio/b.wav", tone(0.5, 8000), 8000)
    xa, xb = read_audio(a, 16000), read_audio(b, 16000)
    long = np.concatenate([xa, np.zeros(round(GAP * 16000), np.float32), xb])
    sf.write(str(tmp_path / "long.wav"), long, 16000, subtype="FLOAT")
    return tmp_path, xa, xb


def _same_audio(utts, xa, xb) -> None:  # type: ignore[no-untyped-def]
    got = [read_audio(u.path, 16000) for u in utts]
    assert [len(x) for x in got] == [len(xa), len(xb)]
    np.testing.assert_allclose(got[0], xa, atol=1e-6)
    np.testing.assert_allclose(got[1], xb, atol=1e-6)


def test_nemo_offsets_read_the_parts_of_one_long_recording(long_recording) -> None:
    root, xa, xb = long_recording
    m = root / "m.jsonl"
    rows = [
        {"audio_filepath": "long.wav", "offset": 0.0, "duration": 1.0, "text": "go left"},
        {"audio_filepath": "long.wav", "offset": 1.0 + GAP, "duration": 0.5, "text": "stop"},
    ]
    m.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    utts = with_durations(load_corpus(str(m)))  # before: both rows the whole 1.8 s file
    assert [(u.text, u.seconds) for u in utts] == [("go left", 1.0), ("stop", pytest.approx(0.5))]
    _same_audio(utts, xa, xb)


@pytest.mark.parametrize(
    ("header", "times"),
    [
        ("start\tend", ("0\t1.0", "1.3\t1.8")),
        ("start_time\tend_time", ("0.0\t1\t", "1.3\t1.8")),
        ("begin\tend", ("\t1.0", "1.3\t1.8")),  # an empty start is the recording's start
        ("start_ms\tend_ms", ("0\t1000", "1300\t1800")),
        ("offset\tduration", ("0\t1.0", "1.3\t0.5")),
    ],
)
def test_tsv_start_and_end_columns_read_the_parts(long_recording, header, times) -> None:
    root, xa, xb = long_recording
    m = root / "m.tsv"
    m.write_text(
        f"path\ttranscript\t{header}\nlong.wav\tgo left\t{times[0]}\nlong.wav\tstop\t{times[1]}\n",
        encoding="utf-8",
    )
    utts = with_durations(load_corpus(str(m)))
    assert [u.seconds for u in utts] == [pytest.approx(1.0), pytest.approx(0.5)]
    _same_audio(utts, xa, xb)


def test_a_start_alone_runs_to_the_end_and_a_duration_alone_is_still_a_length(long_recording) -> None:
    root, _, xb = long_recording
    m = root / "m.tsv"
    m.write_text("path\ttranscript\tstart\nlong.wav\tstop\t1.3\nlong.wav\tall\t0\n", encoding="utf-8")
    part, whole = with_durations(load_corpus(str(m)))
    np.testing.assert_allclose(read_audio(part.path, 16000), xb, atol=1e-6)
    assert part.seconds == pytest.approx(0.5) and whole.path == str(root / "long.wav")
    m.write_text("path\ttranscript\tduration\nlong.wav\tall\t1.8\n", encoding="utf-8")  # unchanged meaning
    assert [(u.path, u.seconds) for u in load_corpus(str(m))] == [(str(root / "long.wav"), 1.8)]


@pytest.mark.parametrize(
    ("header", "times", "message"),
    [
        ("start\tend", "-0.5\t1.0", r"m.tsv: line 3: start '-0.5' is not a time of 0 or more seconds$"),
        ("start\tend", "soon\t1.0", r"m.tsv: line 3: start 'soon' is not a time of 0 or more seconds$"),
        ("start\tend", "1.0\tinf", r"m.tsv: line 3: end 'inf' is not a time of 0 or more seconds$"),
        (
            "start\tend",
            "1.5\t1.2",
            r"m.tsv: line 3: segment end 1.2 s is not after its start 1.5 s: fix the segment times$",
        ),
        (
            "start\tend",
            "1.5\t1.5",
            r"m.tsv: line 3: segment end 1.5 s is not after its start 1.5 s: fix the segment times$",
        ),
        ("start_ms\tend_ms", "x\t100", r"m.tsv: line 3: start_ms 'x' is not a time of 0 or more ms$"),
        ("offset\tduration", "1.0\t-2", r"m.tsv: line 3: seconds '-2' is not a positive number"),
    ],
)
def test_bad_times_are_one_line_naming_the_manifest_row_and_value(
    long_recording, header, times, message
) -> None:
    root, _, _ = long_recording
    m = root / "m.tsv"
    m.write_text(
        f"path\ttranscript\t{header}\nlong.wav\tgo\t0\t1\nlong.wav\tstop\t{times}\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=message) as err:
        load_corpus(str(m))
    assert str(m) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("offset", [-1, "soon", True, None])
def test_bad_nemo_offsets_are_one_line(long_recording, offset) -> None:
    root, _, _ = long_recording
    m = root / "m.jsonl"
    m.write_text(
        json.dumps({"audio_filepath": "long.wav", "text": "go", "offset": offset}) + "\n", encoding="utf-8"
    )
    if offset is None:  # null is no offset: the whole recording
        assert [u.path for u in load_corpus(str(m))] == [str(root / "long.wav")]
        return
    with pytest.raises(CorpusError, match=rf"m.jsonl: line 1: offset {offset!r} is not a time of 0 or more"):
        load_corpus(str(m))


def test_speech_evaluate_counts_the_parts_as_utterances(long_recording, capsys, monkeypatch) -> None:
    """End to end with the shipped model: two utterances of one recording (no accuracy claim)."""
    root, _, _ = long_recording
    m = root / "m.jsonl"
    rows = [
        {"audio_filepath": "long.wav", "offset": 0.0, "duration": 1.0, "text": "go left"},
        {"audio_filepath": "long.wav", "offset": 1.3, "duration": 0.5, "text": "stop"},
    ]
    m.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["speech", "evaluate", "--data", str(m), "--json", "--threads", "1"])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    result = json.loads(out)
    assert result["utterances"] == 2 and result["totals"]["words"] == 3
    assert [u["reference"] for u in result["per_utterance"]] == ["go left", "stop"]
    assert [u["path"].rpartition("#")[2] for u in result["per_utterance"]] == ["0.0-1.0", "1.3-1.8"]
    assert result["audio_seconds"] == pytest.approx(1.5)  # before: 3.6, the whole recording twice
