"""Noise and unknown-word markers written as whole words (``[noise]``, ``<unk>``) were dropped from a Kaldi
directory's transcripts only: in a manifest (or a folder's ``.txt``) they were scored and trained as the
words ``noise`` and ``unk`` (``[noise] seven three <unk> nine two`` against a right hypothesis: WER 0.33).
Every layout drops them now (``text.drop_markers``); a transcript of markers alone is one without speech."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from carrousel.speech.data import load_corpus


def test_markers_are_dropped_in_a_manifest_and_a_folder(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.wav", "b.wav"):
        write_wav(name, np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "m.tsv").write_text(
        "path\ttranscript\na.wav\t[noise] Seven three <unk> nine two\nb.wav\t[laughter]\n", encoding="utf-8"
    )
    utts = load_corpus(str(tmp_path / "m.tsv"))
    assert [(u.text, u.no_speech) for u in utts] == [("seven three nine two", False), ("", True)]
    (tmp_path / "m.tsv").unlink()
    (tmp_path / "a.txt").write_text("<unk> one [breath]\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("two\n", encoding="utf-8")
    assert [u.text for u in load_corpus(str(tmp_path))] == ["one", "two"]


def test_only_whole_word_markers_go() -> None:
    from carrousel.speech.text import drop_markers  # here: the other test fails on main, not at import

    assert drop_markers("a [noise] b <unk>") == "a   b  "
    assert drop_markers("x<3 [sic]y a[b]") == "x<3 [sic]y a[b]"


class _CountingPattern:
    """``text._MARKER`` with every transcript it is run over recorded."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.seen: list[str] = []

    def sub(self, repl: str, text: str) -> str:
        self.seen.append(text)
        return self.pattern.sub(repl, text)


def test_a_kaldi_directory_s_markers_are_dropped_once(tmp_path: Path, write_wav, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before, a Kaldi directory's transcripts went through ``drop_markers`` twice: in ``corpora.read_kaldi``
    and again, with every layout's, in ``data._utterance``. The reader keeps them as written now (as the
    other readers do); the transcripts are the same."""
    from carrousel.speech import text
    from carrousel.speech.corpora import read_kaldi

    for name in ("a.wav", "b.wav"):
        write_wav(name, np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "wav.scp").write_text(f"A {tmp_path / 'a.wav'}\nB {tmp_path / 'b.wav'}\n", encoding="utf-8")
    (tmp_path / "text").write_text("A [noise] Seven three <unk> nine two\nB [laughter]\n", encoding="utf-8")
    counting = _CountingPattern(text._MARKER)
    monkeypatch.setattr(text, "_MARKER", counting)
    utts = load_corpus(f"kaldi:{tmp_path}")
    assert [(u.text, u.no_speech) for u in utts] == [("seven three nine two", False), ("", True)]
    assert counting.seen == ["[noise] Seven three <unk> nine two", "[laughter]"]  # main: each twice
    assert [r.text for r in read_kaldi(tmp_path)] == ["[noise] Seven three <unk> nine two", "[laughter]"]
