"""Reading labelled texts through HF datasets: formats, columns, labels, empty texts, splits, batches."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.nlp.config import TextDataConfig, TokenizerConfig
from carrousel.nlp.data import (
    TextClassDataset,
    check_texts,
    encode_texts,
    label_order,
    load_texts,
    make_loader,
    read_column,
    read_lines,
    stratified_split,
)
from carrousel.nlp.errors import ColumnNotFoundError, EmptyTextError, TextDataError
from carrousel.nlp.lm_data import stream_batches
from carrousel.nlp.tokenization import train_tokenizer
from carrousel.nlp.vectors import read_vectors
from tests.cli_harness import assert_clean_failure


def test_csv_tsv_jsonl_and_fasttext_give_the_same_rows(tmp_path: Path) -> None:
    rows = [("a fine film", "pos"), ("dull, dull, dull", "neg"), ('he said "no"', "neg")]
    (tmp_path / "d.csv").write_text(
        "text,label\n" + "".join(f'"{t.replace(chr(34), 2 * chr(34))}",{lab}\n' for t, lab in rows)
    )
    (tmp_path / "d.tsv").write_text("label\ttext\n" + "".join(f"{lab}\t{t}\n" for t, lab in rows))
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows)
    )
    (tmp_path / "d.txt").write_text("".join(f"__label__{lab} {t}\n" for t, lab in rows))
    for name in ("d.csv", "d.tsv", "d.jsonl", "d.txt"):
        got = load_texts(TextDataConfig(str(tmp_path / name)))
        assert got.texts == [t for t, _ in rows] and got.labels == [lab for _, lab in rows], name


def test_a_tsv_quote_left_open_does_not_swallow_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A TSV text that starts with a quotation it never closes (a review quoting a friend) made the CSV
    reader run that field over tabs and lines until the next quote: 5 rows read as 3, one text holding
    two other rows, silently. Tabs cannot be inside a TSV field, so such a file is read again with its
    quotes as plain characters (GLUE's TSVs need the same), with a warning naming the row."""
    lines = [
        ("positive", '"Best movie ever, said my friend'),
        ("negative", "boring"),
        ("negative", 'dull and "slow"'),
        ("positive", 'the "lovely" one" she said'),
        ("negative", "bad"),
    ]
    path = tmp_path / "quotes.tsv"
    path.write_text("label\ttext\n" + "".join(f"{lab}\t{t}\n" for lab, t in lines), encoding="utf-8")
    with caplog.at_level("WARNING", logger="carrousel.nlp.data"):
        got = load_texts(TextDataConfig(str(path)))
    assert got.labels == [lab for lab, _ in lines]
    assert got.texts == [t for _, t in lines]
    assert "row 1" in caplog.text and "quote" in caplog.text
    caplog.clear()
    quoted = tmp_path / "quoted.tsv"  # a writer that quotes every field (csv.QUOTE_ALL) is still unquoted
    quoted.write_text(
        '"label"\t"text"\n"positive"\t"a ""fine"" film"\n"negative"\t"dull"\n', encoding="utf-8"
    )
    with caplog.at_level("WARNING", logger="carrousel.nlp.data"):
        got = load_texts(TextDataConfig(str(quoted)))
    assert got.texts == ['a "fine" film', "dull"] and got.labels == ["positive", "negative"]
    assert caplog.text == ""


def test_integer_labels_and_headerless_files(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('1,"good"\n-1,"bad"\n1,"nice"\n')
    got = load_texts(TextDataConfig(str(path), text_col="1", label_col="0", header=False))
    assert got.labels == ["1", "-1", "1"] and got.texts[1] == "bad"
    assert label_order(got.labels) == ["-1", "1"]  # numeric order, not string order
    assert label_order(["pos", "neg", "neutral"]) == ["neg", "neutral", "pos"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_headerless_gzip_files_read_as_their_plain_twins(tmp_path: Path, suffix: str) -> None:
    """Before: the header-less branch counted the columns by opening a .csv.gz / .tsv.gz as plain text,
    and a UnicodeDecodeError escaped (a traceback, not one line)."""
    import gzip

    sep = "," if suffix == ".csv" else "\t"
    body = f'"great product, I love it"{sep}5\n"terrible, broke at once"{sep}1\nit is fine{sep}3\n'
    plain = tmp_path / f"rows{suffix}"
    plain.write_text(body, encoding="utf-8")
    packed = tmp_path / f"rows{suffix}.gz"
    packed.write_bytes(gzip.compress(body.encode("utf-8")))
    read = [
        load_texts(TextDataConfig(str(p), text_col="0", label_col="1", header=False)) for p in (plain, packed)
    ]
    assert (
        read[0].texts
        == read[1].texts
        == ["great product, I love it", "terrible, broke at once", "it is fine"]
    )
    assert read[0].labels == read[1].labels == ["5", "1", "3"]


def test_wrong_column_lists_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("words,grade\ngreat,5\n")
    with pytest.raises(ColumnNotFoundError) as info:
        load_texts(TextDataConfig(str(path)))
    message = str(info.value)
    assert "'text'" in message and "'words', 'grade'" in message and "\n" not in message
    with pytest.raises(ColumnNotFoundError, match=r"\(label_col\)"):  # a Python caller's name for it
        load_texts(TextDataConfig(str(path), text_col="words"))


def test_usual_column_names_stand_in_for_absent_defaults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "d.csv"
    path.write_text('Review,stars\n"great, I love it",5\nbroke at once,1\n')
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = load_texts(TextDataConfig(str(path)))
    assert got.texts == ["great, I love it", "broke at once"] and got.labels == ["5", "1"]
    assert got.columns == ("Review", "stars")
    said = [r.getMessage() for r in caplog.records]
    assert any("no column 'text'; reading 'Review' as the texts (give text_col" in m for m in said), said
    assert any("no column 'label'; reading 'stars' as the labels (give label_col" in m for m in said), said
    # a name the user gave is never replaced; two candidates are named, not guessed between
    with pytest.raises(ColumnNotFoundError, match="no column 'body' \\(text_col\\); columns found: 'Review'"):
        load_texts(TextDataConfig(str(path), text_col="body"))
    both = tmp_path / "both.csv"
    both.write_text("sentence,content,label\na,b,1\n")
    with pytest.raises(
        ColumnNotFoundError, match="several that could stand in for it: 'sentence', 'content'"
    ):
        load_texts(TextDataConfig(str(both)))
    same = tmp_path / "same.csv"
    same.write_text("review,label2\ngood,1\n")
    with pytest.raises(ColumnNotFoundError, match="columns found: 'review', 'label2'"):
        load_texts(TextDataConfig(str(same)))


def test_parquet_reads_as_the_csv_and_a_spreadsheet_is_named(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"sentence": ["great, I love it", "broke at once", "fine"], "label": [1, 0, 1]})
    frame.to_parquet(tmp_path / "test-00000-of-00001.parquet")  # the hub's file name for a split
    frame.to_csv(tmp_path / "same.csv", index=False)
    parquet = load_texts(TextDataConfig(str(tmp_path / "test-00000-of-00001.parquet")))
    plain = load_texts(TextDataConfig(str(tmp_path / "same.csv")))
    assert parquet.texts == plain.texts == frame["sentence"].tolist()
    assert parquet.labels == plain.labels == ["1", "0", "1"]
    (tmp_path / "d.xlsx").write_bytes(b"PK\x03\x04 not read")
    with pytest.raises(TextDataError, match="a spreadsheet is not read; save it as CSV"):
        load_texts(TextDataConfig(str(tmp_path / "d.xlsx")))


def test_empty_and_whitespace_texts_are_refused_with_their_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('text,label\ngood,1\n"   ",0\n')
    with pytest.raises(EmptyTextError, match="text 2 is empty or only whitespace"):
        load_texts(TextDataConfig(str(path)))
    lines = tmp_path / "lines.txt"
    lines.write_text("fine\n\nmore\n")
    with pytest.raises(EmptyTextError, match="text 2"):
        read_lines(lines)


def test_missing_files_and_bad_formats(tmp_path: Path) -> None:
    with pytest.raises(TextDataError, match="no such file"):
        load_texts(TextDataConfig(str(tmp_path / "absent.csv")))
    bad = tmp_path / "bad.txt"
    bad.write_text("no label prefix here\n")
    with pytest.raises(TextDataError, match="__label__"):
        load_texts(TextDataConfig(str(bad)))


def test_a_header_alone_holds_no_rows(tmp_path: Path) -> None:
    """A CSV/TSV of a header row only is 'holds no rows', as a blank file is;
    before, datasets' own words came through: 'cannot be read as CSV (ValueError: Instruction "train"
    corresponds to no data!); check the file's format'."""
    for name, body in (("h.csv", "text,label\n"), ("h.tsv", "text\tlabel\n")):
        (tmp_path / name).write_text(body)
        with pytest.raises(
            TextDataError, match=r"holds no rows: its one line \('text', 'label'\) is read as"
        ):
            load_texts(TextDataConfig(str(tmp_path / name)))


def test_a_one_line_file_without_a_header_row_says_that_line_is_read_as_one(tmp_path: Path) -> None:
    """``sentiment predict --file t.tsv`` of one line (a text and its label, no header row): on main "holds no
    rows; give labelled texts", of texts it reads no labels from, and no word of the line taken for the header."""
    (p := tmp_path / "t.tsv").write_text("a lovely film\tpos\n")
    with pytest.raises(TextDataError) as caught:
        read_column(p, "text")
    assert str(caught.value) == (
        f"path='{p}' holds no rows: its one line ('a lovely film', 'pos') is read as the header row naming the "
        "columns; put the rows under it (a file without a header row: add one)"
    )


def test_a_malformed_csv_names_its_line_in_one_line(tmp_path: Path, invoke) -> None:
    """The reader's own reason reaches the message (before: "DatasetGenerationError: An error occurred while
    generating the dataset", after a "Failed to read file ..." log line from ``datasets``); a row with more
    fields than the header is named before the reader runs, with its fix."""
    bad = tmp_path / "bad.csv"
    bad.write_text('text,label\n"good",pos\nbad,neg,extra\nok,pos\n')
    with pytest.raises(
        TextDataError, match="line 3 has 3 fields, the header 2; quote a text holding a comma"
    ):
        load_texts(TextDataConfig(str(bad)))
    assert_clean_failure(invoke("nlp", "sentiment", "evaluate", "--data", bad), 1, "line 3 has 3 fields")
    short = tmp_path / "short.csv"  # fewer fields than the header: the missing label is named
    short.write_text('text,label,source\n"good",pos,a\nbad\n')
    with pytest.raises(TextDataError, match=r"row 2 has no label in column 'label'; fill it or drop the row"):
        load_texts(TextDataConfig(str(short)))


def test_a_text_argument_in_latin_1_bytes_is_one_clear_error(invoke) -> None:
    """A text given on the command line from a Latin-1 terminal or file (``$(cat latin1.txt)``) reaches
    Python as a lone surrogate per bad byte; the tokenizer then stopped with "internal error (TypeError:
    TextEncodeInput must be Union[...])". Now: in the Python API one line naming the text, the byte and the
    fix; on the command line core's option check refuses it first, a usage error (exit 2)."""
    with pytest.raises(TextDataError, match=r"input: text 2 holds byte 0xe9, not UTF-8"):
        check_texts(["fine", "caf\udce9 ouvert"], "input")
    outcome = invoke("nlp", "sentiment", "predict", "a fine film", "caf\udce9 is great")
    assert_clean_failure(outcome, 2, "holds bytes that are not UTF-8; give the text in UTF-8")


def test_a_malformed_jsonl_names_its_line(tmp_path: Path) -> None:
    """Arrow counts JSON objects from 0 and skips blank lines: a bad third line was "in row 2", and after
    two blank lines a bad fourth line "in row 1". The message now names the file's line and column."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "good", "label": "pos"}\n\n\n{"text": "bad", "label": "neg"\n{"text": "x", "label": "pos"}\n'
    )
    with pytest.raises(TextDataError, match=r"line 4: Expecting ',' delimiter \(column 31\)") as err:
        load_texts(TextDataConfig(str(bad)))
    assert "row 1" not in str(err.value)
    array = tmp_path / "bad.json"  # a JSON array: the decoder's own line and column
    array.write_text('[\n  {"text": "good", "label": "pos"},\n  {"text": "bad" "label": "neg"}\n]\n')
    with pytest.raises(TextDataError, match=r"line 3: Expecting ',' delimiter \(column 18\)"):
        load_texts(TextDataConfig(str(array)))


def test_stratified_split_holds_out_each_class() -> None:
    labels = ["a"] * 50 + ["b"] * 10
    train, held = stratified_split(labels, 0.2, seed=3)
    assert len(set(train) & set(held)) == 0 and len(train) + len(held) == 60
    assert sum(labels[i] == "b" for i in held) == 2 and sum(labels[i] == "a" for i in held) == 10
    again = stratified_split(labels, 0.2, seed=3)
    assert np.array_equal(again[1], held)


def test_a_class_of_one_row_is_refused_naming_the_fix() -> None:
    """The message said only that a class needs two rows, not why (one is held out) nor what to do."""
    with pytest.raises(TextDataError) as err:
        stratified_split(["a", "a", "b"], 0.5, 0)
    assert str(err.value).startswith(
        "class 'b' has 1 row; every class needs at least 2 to train (one is held out"
    )
    assert "add rows of it, or drop that row" in str(err.value)


def test_a_label_column_of_scores_is_refused_as_scores() -> None:
    """Scores (0.734...) as labels made one class per value, refused as "class '0.001' has 1 row", which named
    neither the cause nor the fix."""
    with pytest.raises(TextDataError) as err:
        stratified_split(["0.25", "0.25", "0.734", "0.001"], 0.5, 0)
    assert str(err.value).endswith("the labels look like scores (3 values); bin them into classes")


def test_long_texts_are_truncated_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    tok = train_tokenizer(["a b c d e f"] * 3, TokenizerConfig(kind="word", min_frequency=1))
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp"):
        ids = encode_texts(tok, ["a b", "a " * 10_000_000], max_length=8)
    assert [len(x) for x in ids] == [2, 8]
    assert "1 of 2 texts is longer than 8 tokens" in caplog.text


def test_batches_are_bucketed_and_padded_with_zero() -> None:
    ids = [np.arange(1, n + 1) for n in (3, 9, 4, 8, 2, 10)]
    loader = make_loader(TextClassDataset(ids, [0, 1, 0, 1, 0, 1]), batch_size=2, shuffle=False)
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[2, 3], [4, 8], [9, 10]]  # similar lengths together
    x, _lengths, y = batches[0]
    assert x.shape == (2, 3) and x[0, 2] == 0 and y.tolist() == [0, 0]


def test_stream_batches_continue_each_row() -> None:
    ids = np.arange(1, 42)
    batches = stream_batches(ids, streams=2, segment=7)
    row0 = np.concatenate([b["x"][0].numpy() for b in batches])
    assert row0.tolist() == list(range(1, 21))
    assert all(np.array_equal(b["y"].numpy(), b["x"].numpy() + 1) for b in batches)
    with pytest.raises(TextDataError, match="too few"):
        stream_batches(np.arange(5), streams=4, segment=2)


def test_read_vectors_skips_the_word2vec_header_and_keeps_wanted_words(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("3 2\ngood 1 2\nbad -1 0.5\nother 9 9\n")
    got = read_vectors(path, {"good", "bad", "absent"})
    assert sorted(got) == ["bad", "good"] and got["bad"].tolist() == [-1.0, 0.5]
    path.write_text("good 1 2\nbad 1\n")
    with pytest.raises(TextDataError, match="line 2 has 1 numbers"):
        read_vectors(path, {"good"})


def test_hf_datasets_folders_and_class_label_names(tmp_path: Path, hub_offline: None) -> None:
    """A folder written by ``save_to_disk`` (a Dataset, or a DatasetDict with ``#split`` or ``--split``)
    is read as the translation pairs are; a ``ClassLabel`` column gives its names; no hub involved."""
    import datasets

    features = datasets.Features(
        {"sentence": datasets.Value("string"), "label": datasets.ClassLabel(names=["negative", "positive"])}
    )
    rows = {"sentence": ["a lovely film", "dull and slow", "great cast"], "label": [1, 0, 1]}
    train = datasets.Dataset.from_dict(rows, features=features)
    test = datasets.Dataset.from_dict({"sentence": ["awful"], "label": [0]}, features=features)
    train.save_to_disk(str(tmp_path / "one"))
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(tmp_path / "splits"))

    got = load_texts(TextDataConfig(str(tmp_path / "one"), text_col="sentence"))
    assert got.texts == rows["sentence"] and got.labels == ["positive", "negative", "positive"]
    assert load_texts(TextDataConfig(str(tmp_path / "splits"), text_col="sentence")).texts == rows["sentence"]
    for cfg in (
        TextDataConfig(f"{tmp_path / 'splits'}#test", text_col="sentence"),
        TextDataConfig(str(tmp_path / "splits"), text_col="sentence", split="test"),
    ):
        assert load_texts(cfg).labels == ["negative"]
    with pytest.raises(
        TextDataError, match=r"has splits train, test, not 'valid'; add #SPLIT or data\.split"
    ):
        load_texts(TextDataConfig(str(tmp_path / "splits"), text_col="sentence", split="valid"))
    assert load_texts(TextDataConfig(str(tmp_path / "one"))).texts == rows["sentence"]  # SST-2's column name
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextDataError, match="cannot load it as an HF datasets data set") as err:
        load_texts(TextDataConfig(str(tmp_path / "empty")))
    assert "\n" not in str(err.value)
    with pytest.raises(TextDataError, match=r"data\.source='no_such_set_xyz:cfg': cannot load it"):
        load_texts(TextDataConfig("no_such_set_xyz:cfg"))


def test_blank_lines_at_the_end_of_a_file_are_dropped(tmp_path: Path) -> None:
    # before: "text 3 is empty" for an editor's trailing blank line (or a CRLF file's)
    lines = tmp_path / "lines.txt"
    lines.write_bytes(b"fine\r\nmore\r\n\r\n  \r\n")
    assert read_lines(lines) == ["fine", "more"]
    lines.write_text("fine\n\nmore\n\n")  # a blank line before a text still shifts the numbering: refused
    with pytest.raises(EmptyTextError, match="text 2"):
        read_lines(lines)


def test_sentiment_predict_file_with_a_trailing_blank_line(invoke: Any, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a good film\na dull film\n\n")
    outcome = invoke("nlp", "sentiment", "predict", "--file", tmp_path / "f.txt", "--json")
    assert outcome.code == 0, outcome.stderr
    assert [r["text"] for r in json.loads(outcome.stdout)["predictions"]] == ["a good film", "a dull film"]


@pytest.mark.parametrize("where", ["first", "later"])
def test_a_csv_text_holding_an_unquoted_comma_is_named(tmp_path: Path, where: str) -> None:
    """A review with a comma, unquoted: on the first row pandas took the extra field as naming an index
    column, shifting every label ("row 2 has no label in column 'label'", about another row); on a later
    row "Expected 2 fields in line 4, saw 3". Now the line, its field count and the fix."""
    rows = ["terrible battery and it broke,0", "best purchase this year,1"]
    rows.insert(0 if where == "first" else 2, "I loved this phone, works great,1")
    data = tmp_path / "reviews.csv"
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    line = 2 if where == "first" else 4
    with pytest.raises(
        TextDataError,
        match=rf"^data\.source='{data}': line {line} has 3 fields, the header 2; quote a text holding a comma "
        r'\("I loved it, truly"\)$',
    ):
        load_texts(TextDataConfig(source=str(data)))
