"""Corpora found by their files (``folder_corpora.py``), as a newcomer brings them:

* a folder of recordings with same-name transcripts left a recording without one out silently (4
  recordings, 2 scored, nothing said), and did not find ``C.TXT`` beside ``C.WAV`` nor whisper.cpp's
  ``d.flac.txt``: now the suffixes match in any case, ``NAME.txt`` is read too, and the others are counted
  in one warning naming the first;
* a LibriSpeech tree converted to WAV (``19-198-0000.wav``) was refused as ``19-198-0000.flac: no such
  file``, and one chapter's ``19-198.trans.txt`` given as ``--data`` was read as a TSV manifest ("the header
  names no path or transcript column"): both are read now.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError

SOUND = np.full(1600, 0.1, dtype=np.float32)


def test_a_folder_reads_any_case_and_warns_of_recordings_without_transcripts(
    tmp_path: Path, write_wav, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.wav", "b.wav", "C.WAV", "d.flac"):
        write_wav(name, SOUND)
    (tmp_path / "a.txt").write_text("one two\n", encoding="utf-8")
    (tmp_path / "d.flac.txt").write_text("four\n", encoding="utf-8")  # whisper.cpp's name
    (tmp_path / "C.TXT").write_text("three\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not audio\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="carrousel.speech.folder_corpora"):
        utts = load_corpus(str(tmp_path))
    assert sorted((Path(u.path).name, u.text) for u in utts) == [
        ("C.WAV", "three"),
        ("a.wav", "one two"),
        ("d.flac", "four"),
    ]
    warned = [r.getMessage() for r in caplog.records if r.name == "carrousel.speech.folder_corpora"]
    assert len(warned) == 1 and "1 of 4 recordings have no same-name .txt or .lab transcript" in warned[0]
    assert "(the first: b.wav)" in warned[0]


def test_a_folder_with_every_transcript_says_nothing(
    tmp_path: Path, write_wav, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", SOUND)
    (tmp_path / "a.lab").write_text("one\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="carrousel.speech.folder_corpora"):
        assert [u.text for u in load_corpus(str(tmp_path))] == ["one"]
    assert not [r for r in caplog.records if r.name == "carrousel.speech.folder_corpora"]


def _chapter(root: Path, write_wav) -> Path:  # type: ignore[no-untyped-def]
    chapter = root / "test-clean" / "19" / "198"
    chapter.mkdir(parents=True)
    for uid in ("19-198-0000", "19-198-0001"):
        write_wav(f"test-clean/19/198/{uid}.wav", SOUND)
    trans = chapter / "19-198.trans.txt"
    trans.write_text("19-198-0000 ONE TWO\r\n19-198-0001 THREE\r\n", encoding="utf-8")
    return trans


def test_librispeech_converted_to_wav_and_one_chapter_file(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    trans = _chapter(tmp_path, write_wav)
    want = [("19-198-0000.wav", "one two", "19"), ("19-198-0001.wav", "three", "19")]
    for spec in (str(tmp_path), str(trans)):
        assert [(Path(u.path).name, u.text, u.speaker) for u in load_corpus(spec)] == want


def test_librispeech_without_the_recording_names_the_flac(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    trans = _chapter(tmp_path, write_wav)
    trans.write_text("19-198-0000 ONE TWO\n19-198-0002 FOUR\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"19-198-0002\.flac: no such file"):
        load_corpus(str(tmp_path))
