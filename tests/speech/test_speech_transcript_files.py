"""Transcripts and manifests as Windows and shell pipelines write them.

A folder of recordings with ``.txt`` transcripts read each one as UTF-8 with ``errors="replace"``: a
Windows-1252 ``café`` became ``caf`` and a UTF-16 (Notepad "Unicode") ``hello world`` became
``h e l l o w o r l d``, silently, in training and in WER references. UTF-16 now reads as the UTF-8 file,
other bytes are one line naming the first bad byte and ``iconv``. A gzip-compressed ``.csv.gz`` or
``.jsonl.gz`` manifest was parsed as TSV ("the header names no path or transcript column (it has
file_name,transcription)"); it now reads as its uncompressed twin.
"""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError

TEXTS = ["the cafe is open", "hello world"]


def _recordings(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(len(TEXTS)):
        sf.write(folder / f"u{i}.wav", np.full(8000 + 4000 * i, 0.1, np.float32), 16000)
        names.append(f"u{i}.wav")
    return names


def _read(spec: Path) -> list[tuple[str, str, float | None]]:
    return [(Path(u.path).name, u.text, u.seconds) for u in load_corpus(str(spec))]


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_a_folder_of_unicode_transcripts_reads_as_utf8(tmp_path: Path, codec: str) -> None:
    for folder, enc in ((tmp_path / "plain", "utf-8"), (tmp_path / "other", codec)):
        for name, text in zip(_recordings(folder), TEXTS, strict=True):
            (folder / name).with_suffix(".txt").write_bytes(text.replace("cafe", "café").encode(enc))
    assert _read(tmp_path / "other") == _read(tmp_path / "plain")
    assert _read(tmp_path / "plain") == [("u0.wav", "the café is open", 0.5), ("u1.wav", "hello world", 0.75)]


def test_a_windows_1252_transcript_names_its_byte(tmp_path: Path) -> None:
    for name, text in zip(_recordings(tmp_path), TEXTS, strict=True):
        (tmp_path / name).with_suffix(".txt").write_bytes(text.replace("cafe", "café").encode("cp1252"))
    with pytest.raises(CorpusError, match=r"u0\.txt is not UTF-8 text: byte 0xe9 .*iconv -f cp1252 -t utf-8"):
        load_corpus(str(tmp_path))


def test_an_empty_utf16_transcript_is_no_speech(tmp_path: Path) -> None:
    names = _recordings(tmp_path)
    (tmp_path / names[0]).with_suffix(".txt").write_bytes(codecs.BOM_UTF16_LE)
    (tmp_path / names[1]).with_suffix(".txt").write_text("hello world\n")
    got = load_corpus(str(tmp_path))
    assert [(u.text, u.no_speech) for u in got] == [("", True), ("hello world", False)]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".tsv"])
def test_a_gzip_manifest_reads_as_its_plain_twin(tmp_path: Path, suffix: str) -> None:
    names = _recordings(tmp_path)
    if suffix == ".jsonl":
        text = "".join(
            json.dumps({"audio_filepath": n, "text": t}) + "\n" for n, t in zip(names, TEXTS, strict=True)
        )
    else:
        sep = "," if suffix == ".csv" else "\t"
        text = f"file_name{sep}transcription\n" + "".join(
            f"{n}{sep}{t}\n" for n, t in zip(names, TEXTS, strict=True)
        )
    (plain := tmp_path / f"m{suffix}").write_text(text)
    (packed := tmp_path / f"z{suffix}.gz").write_bytes(gzip.compress(text.encode()))
    assert _read(packed) == _read(plain) == [("u0.wav", TEXTS[0], 0.5), ("u1.wav", TEXTS[1], 0.75)]


def test_a_windows_1252_librispeech_transcript_names_its_file(tmp_path: Path) -> None:
    """Before: a raw UnicodeDecodeError naming no file."""
    chapter = tmp_path / "19" / "198"
    _recordings(chapter)
    (chapter / "u0.wav").rename(chapter / "19-198-0000.wav")
    (chapter / "19-198.trans.txt").write_bytes("19-198-0000 CAFÉ OPEN\n".encode("cp1252"))
    with pytest.raises(
        CorpusError, match=r"19-198\.trans\.txt is not UTF-8 text: byte 0xc9 .*iconv -f cp1252"
    ):
        load_corpus(f"librispeech:{tmp_path}")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (
            codecs.BOM_UTF16_LE + b"\x00\xd8",
            r"u0\.txt starts as UTF-16 but is not UTF-16 text; convert it to UTF-8",
        ),
        (b"RIFF\x00\x00WAVE", r"u0\.txt holds NUL bytes: it is a binary file, not transcript text"),
    ],
)
def test_a_transcript_is_read_by_cores_decoder(tmp_path: Path, raw: bytes, words: str) -> None:
    """``read_transcript`` calls core's ``decode_checked`` (``blank_ok``: an empty file is a transcript of
    silence) rather than its own copy of the UTF-16 branch: a broken UTF-16 file is the same line as before,
    and a binary file (a recording named ``.txt``) is refused rather than read as text with NUL characters."""
    names = _recordings(tmp_path)
    (tmp_path / names[0]).with_suffix(".txt").write_bytes(raw)
    (tmp_path / names[1]).with_suffix(".txt").write_bytes(b"")
    with pytest.raises(CorpusError, match=words):
        load_corpus(str(tmp_path))
    (tmp_path / names[0]).with_suffix(".txt").write_text("hello")
    assert [(u.text, u.no_speech) for u in load_corpus(str(tmp_path))] == [("hello", False), ("", True)]
