"""A manifest's rows end at ``\\n``, ``\\r\\n`` or ``\\r`` only (core ``encodings.file_lines``), as nlp's line
readers: ``str.splitlines`` also cut at U+2028 and a form feed, so a JSONL row whose transcript holds a raw
U+2028 (``json.dumps(..., ensure_ascii=False)`` writes it so) was refused as "not JSON", and a TSV row
whose transcript holds a form feed as a short row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from carrousel.speech.data import load_corpus


def _wav(path: Path) -> None:
    t = np.arange(16000) / 16000
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)


def test_a_row_holding_a_line_separator_is_one_row(tmp_path: Path) -> None:
    _wav(tmp_path / "a.wav")
    _wav(tmp_path / "b.wav")
    rows = [{"audio_filepath": "a.wav", "text": "go\u2028left"}, {"audio_filepath": "b.wav", "text": "stop"}]
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tsv = tmp_path / "m.tsv"
    tsv.write_text("path\ttext\na.wav\tgo\x0cleft\r\nb.wav\tstop\n", encoding="utf-8")
    for manifest in (jsonl, tsv):
        utts = load_corpus(str(manifest))
        assert [Path(u.path).name for u in utts] == ["a.wav", "b.wav"], manifest
        assert [u.text.split() for u in utts] == [["go", "left"], ["stop"]], manifest
