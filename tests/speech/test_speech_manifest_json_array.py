"""A ``.json`` manifest holding one JSON array of rows (``[{"audio_filepath": ..., "text": ...}, ...]``,
the shape most tools write) was refused as ``line 1 is not a JSON object``: it is read now, its rows named
``item N`` in messages (the shape read and refused by :func:`carrousel.core.json_records.json_records`). An
object spread over lines in a ``.jsonl`` says that JSON Lines hold one per line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError


def test_a_json_array_is_read_and_its_items_named(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.wav", "b.wav"):
        write_wav(name, np.full(1600, 0.1, dtype=np.float32))
    rows = [{"audio_filepath": "a.wav", "text": "One two."}, {"audio_filepath": "b.wav", "text": "three"}]
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert [(Path(u.path).name, u.text) for u in load_corpus(str(manifest))] == [
        ("a.wav", "one two"),
        ("b.wav", "three"),
    ]
    manifest.write_text(json.dumps([rows[0], ["b.wav", "three"]]), encoding="utf-8")
    with pytest.raises(
        CorpusError, match=r"m\.json: item 2 is a JSON array, not an object; write an array of"
    ):
        load_corpus(str(manifest))
    manifest.write_text(json.dumps([rows[0], {"audio_filepath": "b.wav", "text": 3}]), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"m\.json: item 2: its audio_filepath and text are not both JSON"):
        load_corpus(str(manifest))


def test_an_object_over_several_lines_names_json_lines(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.full(1600, 0.1, dtype=np.float32))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"audio_filepath": "a.wav",\n "text": "one"}\n', encoding="utf-8")
    with pytest.raises(
        CorpusError, match=r"m\.jsonl: line 1 is not JSON \(.*\); JSON Lines hold one whole object per line$"
    ):
        load_corpus(str(manifest))
