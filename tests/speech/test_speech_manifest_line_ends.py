"""A manifest's rows end at ``\\n``, ``\\r\\n`` or ``\\r`` only (core ``encodings.file_lines``), as nlp's line
readers: ``str.splitlines`` also cut at U+2028 and a form feed, so a JSONL row whose transcript holds a raw
U+2028 (``json.dumps(..., ensure_ascii=False)`` writes it so) was refused as "not JSON", and a TSV row
whose transcript holds a form feed as a short row. LibriSpeech transcripts and a language model's text
were cut the same way (the rest of a line became an utterance of its own, or a sentence), and a bad ARPA
line was named one line too far on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.data import load_corpus, read_librispeech
from carrousel.speech.errors import LanguageModelError
from carrousel.speech.lm import load_lm


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


def test_librispeech_transcripts_and_lm_text_keep_a_line_separator_inside_a_line(tmp_path: Path) -> None:
    chapter = tmp_path / "19" / "198"
    chapter.mkdir(parents=True)
    (chapter / "19-198.trans.txt").write_text(
        "19-198-0001 GO LEFT\u2028NOW\n19-198-0002 STOP\n", encoding="utf-8"
    )
    utts = read_librispeech(tmp_path)
    assert [(Path(u.path).name, u.text) for u in utts] == [
        ("19-198-0001.flac", "go left now"),
        ("19-198-0002.flac", "stop"),
    ]
    text = tmp_path / "lm.txt"
    text.write_text("go left\u2028now please\nstop\x0cnow\n", encoding="utf-8")
    bigrams = {g for g in load_lm(text, 2).probs if len(g) == 2}
    assert ("left", "now") in bigrams and ("stop", "now") in bigrams and ("<s>", "now") not in bigrams


def test_a_bad_arpa_line_is_named_by_its_line_in_an_editor(tmp_path: Path) -> None:
    arpa = tmp_path / "lm.arpa"
    arpa.write_text("\\data\\\nngram 1=1\n\x0c\n\\1-grams:\n-1.0\n\\end\\\n", encoding="utf-8")
    with pytest.raises(LanguageModelError, match="line 5 is not an ARPA 1-gram line"):
        load_lm(arpa)
