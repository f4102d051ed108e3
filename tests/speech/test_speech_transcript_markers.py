"""Noise and unknown-word markers written as whole words (``[noise]``, ``<unk>``) were dropped from a Kaldi
directory's transcripts only: in a manifest (or a folder's ``.txt``) they were scored and trained as the
words ``noise`` and ``unk`` (``[noise] seven three <unk> nine two`` against a right hypothesis: WER 0.33).
Every layout drops them now (``text.drop_markers``); a transcript of markers alone is one without speech."""

from __future__ import annotations

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
