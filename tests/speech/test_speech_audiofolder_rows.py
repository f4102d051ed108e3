"""An audiofolder's ``metadata.csv`` with a row longer than its header (an unquoted comma in a transcript)
was refused as pandas' ``cannot be read (Error tokenizing data. C error: Expected 2 fields in line 3, saw
3 )``, naming no fix; a ``file_name`` without its recording as ``... is not a file on disk``, the same.
Both lines now say what to change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError

pytest.importorskip("datasets")


def test_an_unquoted_comma_names_the_line_and_the_quoting(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.wav", "b.wav"):
        write_wav(name, np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "metadata.csv").write_text(
        'file_name,transcription\na.wav,"one, two"\nb.wav,three, four\n', encoding="utf-8"
    )
    with pytest.raises(CorpusError) as info:
        load_corpus(f"audiofolder:{tmp_path}")
    assert str(info.value).endswith(
        'metadata.csv line 3 has 3 fields, the header 2; quote a transcript holding a comma ("seven, three")'
    )


def test_a_missing_recording_names_the_fix(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "metadata.jsonl").write_text(
        '{"file_name": "a.wav", "transcription": "one"}\n{"file_name": "c.wav", "transcription": "two"}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"c\.wav is not a file on disk; fix its file_name in the metadata"):
        load_corpus(str(tmp_path))
