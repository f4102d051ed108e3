"""Manifests as other tools write them: Mozilla DeepSpeech's CSV (``wav_filename,wav_filesize,transcript``)
was refused ("the header names no path column"), and a TSV exported by a spreadsheet with its cells in
double quotes (``"a.wav"<TAB>"one two"``) was refused as ``no such file`` for ``"a.wav"``. Both are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carrousel.speech.data import load_corpus


def test_deepspeech_csv_and_a_quoted_tsv_are_read(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "train.csv").write_text(
        "wav_filename,wav_filesize,transcript\na.wav,3244,one two\n", encoding="utf-8"
    )
    (tmp_path / "q.tsv").write_text('path\ttranscript\n"a.wav"\t"One, two."\n', encoding="utf-8")
    for name in ("train.csv", "q.tsv"):
        assert [(Path(u.path).name, u.text) for u in load_corpus(str(tmp_path / name))] == [
            ("a.wav", "one two")
        ]
