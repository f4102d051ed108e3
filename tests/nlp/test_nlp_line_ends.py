"""A text file's lines are cut at ``\\n``, ``\\r\\n`` and ``\\r`` only (core's ``encodings.file_lines``).

Before, ``str.splitlines`` also cut at a form feed, NEL and U+2028 inside a text: ``nlp sentiment predict
--file`` on a 4-line file gave 7 predictions (its ``--json`` rows no longer lined up with the lines), a
JSONL of pairs whose JSON string held a raw U+2028 (``json.dumps(ensure_ascii=False)`` writes it) was "not
JSON", a TSV pair was cut in two and two aligned files were counted unequal. ``--unlabelled`` texts and
tagged corpora were cut the same way, and a broken JSON-lines file was said to break on the wrong line.
"""

from __future__ import annotations

import json
from pathlib import Path

from carrousel.core.encodings import file_lines
from carrousel.nlp.data import read_lines
from carrousel.nlp.hf_data import bad_json_line
from carrousel.nlp.parallel import read_pairs
from carrousel.nlp.transfer import read_unlabelled, tagged_sentences

INSIDE = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]  # no line end in a file


def test_file_lines_cut_only_at_line_ends() -> None:
    text = "".join(f"a{c}b\n" for c in INSIDE) + "c\r\nd\re"
    assert file_lines(text) == [f"a{c}b" for c in INSIDE] + ["c", "d", "e"]
    assert file_lines("x\n") == ["x"] and file_lines("") == [] and file_lines("x\n\n") == ["x", ""]


def test_predict_file_gives_one_text_per_line(tmp_path: Path) -> None:
    p = tmp_path / "texts.txt"
    p.write_text("".join(f"good{c}film\n" for c in INSIDE) + "last", encoding="utf-8")
    assert read_lines(p) == [f"good{c}film" for c in INSIDE] + ["last"]


def test_pairs_keep_a_line_separator_inside_a_sentence(tmp_path: Path) -> None:
    rows = [
        ("open the file\u2028now", "öffne die Datei\u2028jetzt"),
        ("read\x0ca file", "lies\x0ceine Datei"),
    ]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("".join(json.dumps({"en": s, "de": t}, ensure_ascii=False) + "\n" for s, t in rows))
    assert read_pairs([jsonl], "en", "de") == rows
    tsv = tmp_path / "p.tsv"
    tsv.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    assert read_pairs([tsv], "en", "de") == rows
    src, tgt = tmp_path / "a.en", tmp_path / "a.de"
    src.write_text("".join(f"{s}\n" for s, _ in rows), encoding="utf-8")
    tgt.write_text("".join(f"{t}\n" for _, t in rows), encoding="utf-8")
    assert read_pairs([src, tgt], "en", "de") == rows


def test_unlabelled_and_tagged_texts_keep_a_line_separator_inside_a_line(tmp_path: Path) -> None:
    unlabelled = tmp_path / "u.txt"
    unlabelled.write_text("".join(f"good{c}film\n" for c in INSIDE), encoding="utf-8")
    assert read_unlabelled([unlabelled], 100) == [f"good{c}film" for c in INSIDE]
    tagged = tmp_path / "t.pos"
    tagged.write_text("The/DT film/NN was/VBD very/RB good/JJ\x0cindeed/RB ./.\n", encoding="utf-8")
    assert tagged_sentences(tagged, min_words=1) == ["The film was very good indeed."]


def test_a_broken_json_line_is_named_past_a_raw_line_separator(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    rows = [json.dumps({"text": "good\u2028film", "label": 1}, ensure_ascii=False), '{"text": "x"', "{}"]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert bad_json_line(p).startswith("line 2: ")


def test_a_windows_text_gives_the_language_model_the_text_of_its_unix_copy(tmp_path: Path) -> None:
    """``nlp generate train|evaluate|export --text``: ``\\r\\n`` and ``\\r`` are line ends, read as ``\\n``. Before,
    botchan.txt (CRLF, the cached sample) gave a character model a ``\\r`` symbol: every line end two tokens,
    and an under-trained model wrote ``\\r`` alone mid-line (``--json`` text ``"- n\\rdzv"``)."""
    from carrousel.nlp.config import LMDataConfig
    from carrousel.nlp.lm_data import read_corpus
    from carrousel.nlp.pipeline.generate import split_text

    lines = [f"line {i}: a\u2028b, \x0cc" for i in range(40)]  # separators inside a line stay
    unix, windows, mac = tmp_path / "u.txt", tmp_path / "w.txt", tmp_path / "m.txt"
    unix.write_bytes(("\n".join(lines) + "\n").encode())
    windows.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())  # with a BOM too
    mac.write_bytes(("\r".join(lines) + "\r").encode())
    want = read_corpus([str(unix)])
    assert "\r" not in want and read_corpus([str(windows)]) == want == read_corpus([str(mac)])
    assert read_corpus([str(windows), str(mac)]) == read_corpus([str(unix), str(unix)])
    assert split_text(LMDataConfig((str(windows),), 0.1)) == split_text(LMDataConfig((str(unix),), 0.1))
