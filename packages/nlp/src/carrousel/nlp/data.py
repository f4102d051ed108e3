"""Reading texts: labelled data sets through HF ``datasets``, text files, and the loaders built on them.

Local files go through the same :func:`datasets.load_dataset` path as hub names (``"csv"`` for CSV/TSV,
``"json"`` for JSON lines, ``"parquet"`` for Parquet, ``"text"`` for fastText-style ``__label__pos text``
lines; a spreadsheet is refused, naming CSV); folders written by ``Dataset.save_to_disk`` and hub names
(``imdb``, ``glue:sst2``, ``FOLDER#test``) through :func:`carrousel.nlp.hf_data.load_hf`, as the translation
pairs. So ``--data imdb``, ``--data saved/`` and ``--data reviews.csv`` behave alike: wrong column names list
the columns found, empty texts are refused with their row, labels may be strings or integers (a ``ClassLabel``
column gives its names), and a JSON boolean reads as JSON writes it (``true``/``false``).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from carrousel.core.args import check_args
from carrousel.core.data import BucketBatchSampler, SequenceCollator
from carrousel.core.encodings import LEGACY_TEXT, file_lines
from carrousel.core.files import check_input_file, read_text
from carrousel.core.option_names import named_path, option
from carrousel.core.paths import format_suffix, is_gzip, user_spec
from carrousel.core.text import counted
from carrousel.nlp import hf_data, table_cells
from carrousel.nlp.class_shares import warn_class_shares
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data_columns import is_text_name, pick_columns, pick_text_column
from carrousel.nlp.data_encoding import check_json_encoding, data_encoding
from carrousel.nlp.entities import unescape_entities
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.hf_data import is_hf_source, label_names, load_hf, quiet_datasets
from carrousel.nlp.table_cells import check_fields, csv_delimiter, flat_columns, loose_quote_line, plain_cells
from carrousel.nlp.text_checks import blank_rows, check_texts, warn_unread, without_blank_end
from carrousel.nlp.tokenization import TextTokenizer

__all__ = [
    "CHARS_PER_TOKEN_CAP",
    "LabelledTexts",
    "TextClassDataset",
    "check_texts",
    "encode_texts",
    "is_table",
    "label_order",
    "load_texts",
    "make_loader",
    "read_as",
    "read_column",
    "read_lines",
    "stratified_split",
    "warn_truncated",
]

logger = logging.getLogger(__name__)

_FASTTEXT_PREFIX = "__label__"
CHARS_PER_TOKEN_CAP = 32  # texts are cut to max_length * this many characters before tokenising
_BREAK = re.compile(r"\r\n|[^\S ]")  # a line break (CRLF one) or whitespace other than a space
_SPREADSHEETS = (".xlsx", ".xls", ".ods", ".numbers")
# a table file's suffix -> the datasets builder reading it (any other file: fastText text lines); parquet is
# the hub's own file format (its data sets' parquet conversion)
_TABLES = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
    ".parquet": "parquet",
}  # fmt: skip
_QUOTE_LEFT_OPEN = "%s: a double quote in row %d is not closed on its line; reading the TSV's quotes as text"
_QUOTE_CLOSED_EARLY = (
    "%s: line %d has a text that starts with a quotation and goes on; reading the TSV's quotes as text"
)


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with their labels as strings, in file order."""

    texts: list[str]  # one per row
    labels: list[str]  # one per row (integers as their decimal string, JSON booleans as 'true'/'false')
    source: str  # where they came from, for messages and provenance
    columns: tuple[str, str] = ("text", "label")  # the (text, label) columns read (a fastText file's: these)

    def __len__(self) -> int:
        return len(self.texts)


def _load_dataset(
    source: str, split: str, header: bool, flag: str = "--data", text_col: str | None = None
) -> tuple[Any, str, dict[str, list[int]]]:
    """Returns ``(dataset, format, repeated)``: one split of a local file, a saved data set folder or a hub set
    (``flag``: the option that named it, for messages; ``text_col``: a CSV/TSV column read as written), and
    the names a CSV/TSV header repeats."""
    if is_hf_source(source):  # a save_to_disk folder or a hub name: the translation readers' path
        ds = flat_columns(load_hf(source, flag, split, "data set", option("data.split", flag="--split")))
        return ds, "hub", {}
    datasets = quiet_datasets()
    path = Path(source)
    if not path.exists():
        raise TextDataError(f"{named_path(source, flag)}: no such file; check the path")
    check_input_file(path, flag, "text data")
    suffix = format_suffix(path)
    files = {"train": str(path)}
    kwargs: dict[str, Any] = {}
    fmt, repeated = _TABLES.get(suffix, "text"), {}
    if fmt == "csv":
        kwargs["encoding"], kwargs["keep_default_na"] = data_encoding(path, flag), False  # "None" is a text
        kwargs["delimiter"] = csv_delimiter(path, kwargs["encoding"], flag, "," if suffix == ".csv" else "\t")
        if header and kwargs["delimiter"] != "\t":  # a TSV's quote left open is read again below
            check_fields(path, kwargs["encoding"], kwargs["delimiter"], flag)
        first = table_cells.header_row(path, kwargs["encoding"], kwargs["delimiter"])
        names = first if header else [str(i) for i in range(len(first))]  # no header: the first row counted
        repeated = table_cells.repeated_names(names) if header else {}
        kwargs["column_names"] = None if header else names
        # texts as written ("007", "1e3"), never parsed as numbers
        kwargs["converters"] = {c: str for c in names if c == text_col or is_text_name(c)}
    elif suffix in _SPREADSHEETS:
        raise TextDataError(
            f"{named_path(path, flag)}: a spreadsheet is not read; save it as CSV (UTF-8) and give that"
        )
    elif fmt == "json":  # datasets reads JSON lines as UTF-8 only
        check_json_encoding(path, flag)
    elif fmt == "text":  # datasets reads a gzip-compressed text file as UTF-8 whatever encoding it is given
        kwargs["encoding"] = data_encoding(path, flag, legacy=not is_gzip(path))
    builder_log = logging.getLogger("datasets")  # its reader logs "Failed to read file ..." before raising
    level = builder_log.level
    builder_log.setLevel(logging.CRITICAL)
    try:
        ds = datasets.load_dataset(fmt, data_files=files, split="train", **kwargs)
        tsv = kwargs.get("delimiter") == "\t"
        if tsv and (row := hf_data.first_row_with_tab(ds)) is not None:
            logger.warning(_QUOTE_LEFT_OPEN, named_path(path, flag), row)
        elif tsv and (row := loose_quote_line(path, kwargs["encoding"])) is not None:
            logger.warning(_QUOTE_CLOSED_EARLY, named_path(path, flag), row)
        else:
            return flat_columns(ds), fmt, repeated
        ds = datasets.load_dataset(fmt, data_files=files, split="train", quoting=csv.QUOTE_NONE, **kwargs)
        return flat_columns(ds), fmt, repeated
    except Exception as exc:  # datasets raises many types for a malformed file
        root = exc  # the reader's own error (pandas: "Expected 3 fields in line 7, saw 4"), not the wrapper's
        while root.__cause__ is not None:
            root = root.__cause__  # type: ignore[assignment]
        if "corresponds to no data" in str(root):  # datasets' words for a split of no rows (a header alone)
            raise TextDataError(table_cells.no_rows(named_path(path, flag), path, kwargs)) from None
        text = (fmt == "json" and hf_data.bad_json_line(path, flag)) or " ".join(str(root).split())
        raise TextDataError(
            f"{named_path(path, flag)}: cannot be read as {fmt.upper()} ({type(root).__name__}: {text[:300]}); "
            "check the file's format"
        ) from None
    finally:
        builder_log.setLevel(level)


def _fasttext_rows(lines: Sequence[Any], where: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for i, line in enumerate(lines, 1):
        line = (line or "").strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        if not head.startswith(_FASTTEXT_PREFIX):
            raise TextDataError(
                f"{where}: line {i} does not start with __label__<name>; a .txt data file holds lines "
                f"`__label__pos text`, or use CSV/TSV/JSONL with {option('text_col')}/{option('label_col')}"
            )
        labels.append(head[len(_FASTTEXT_PREFIX) :])
        texts.append(rest)
    return texts, labels


def load_texts(cfg: TextDataConfig, flag: str | None = None) -> LabelledTexts:
    """Reads labelled texts from a local file or a hub data set (``flag``: the option that named it, for
    messages: ``--ruled``; None: the data, ``data.source`` to a Python caller, ``--data`` in a CLI command).

    Raises:
        TextDataError: the file or data set cannot be read.
        ColumnNotFoundError: ``text_col`` or ``label_col`` is not a column (the message lists them).
        EmptyTextError: a text is empty or only whitespace (the message names the row).
    """
    named = flag or option("data.source", flag="--data")
    ds, fmt, repeated = _load_dataset(cfg.source, cfg.split, cfg.header, named, cfg.text_col)
    where = named_path(cfg.source, named)
    if fmt == "text":
        texts, labels = _fasttext_rows(ds["text"], where)
        read = ("text", "label")
    else:
        columns = list(ds.column_names)
        csv_like = fmt == "csv"  # only a CSV/TSV can lack a header row
        text_col, label_col = pick_columns(
            columns, cfg.text_col, cfg.label_col, where, header=cfg.header and csv_like
        )
        read = (text_col, label_col)
        table_cells.refuse_repeated(read, repeated, where)
        texts = ["" if t is None else str(t) for t in plain_cells(ds[text_col], text_col, where)]
        raw = plain_cells(ds[label_col], label_col, where)
        names = label_names(ds, label_col)
        labels = []
        for i, value in enumerate(raw):
            if value is None or (isinstance(value, str) and not value.strip()):
                raise TextDataError(
                    f"{where}: row {i + 1} has no label in column {label_col!r}; fill it or drop the row"
                )
            if isinstance(value, bool):  # a JSON boolean as JSON writes it, never Python's "True"/"False"
                value = "true" if value else "false"
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if names is not None and isinstance(value, int) and 0 <= value < len(names):
                value = names[value]
            labels.append(str(value).strip())
    if not texts:
        raise TextDataError(f"{where} holds no rows; give labelled texts")
    check_texts(texts, where, entities=True)
    return LabelledTexts(texts, labels, cfg.source, read)


def is_table(path: str | Path) -> bool:
    """Whether a file is a table (CSV, TSV, JSON lines or Parquet, gzip allowed) rather than lines of text."""
    return format_suffix(Path(path)) in _TABLES


def read_column(
    path: str | Path, text_col: str, flag: str | None = None, col_flag: str | None = "text_col"
) -> list[str]:
    """The texts of one column of a table file (:func:`is_table`) or data set, read as :func:`load_texts` reads
    ``--data`` (the column named, or for ``text`` absent the one usual text column: :mod:`~carrousel.nlp.data_columns`);
    ``flag`` is the option naming the file (None: ``path``, ``--file`` in a command), ``col_flag`` the option
    naming the column (a Python name goes through :func:`option`: ``text_col``, ``--text-col`` in a command;
    None where none does: ``--exclude``).

    Raises:
        TextDataError: the file cannot be read; ColumnNotFoundError: no such column; EmptyTextError: an
            empty text (naming its row).
    """
    path = user_spec(path)  # "~/t.csv" is in the home folder; a hub name stays as it is
    flag = flag or option("path", flag="--file")  # predict --file reads a table so
    ds, fmt, repeated = _load_dataset(str(path), "train", True, flag, text_col)
    where, cols, held = named_path(path, flag), list(ds.column_names), "data set" if fmt == "hub" else "file"
    column = pick_text_column(cols, text_col, where, header_read=fmt == "csv", flag=col_flag, container=held)
    table_cells.refuse_repeated([column], repeated, where)
    cells = ["" if t is None else str(t) for t in plain_cells(ds[column], column, where)]
    return check_texts(cells, where, entities=True)


@check_args
def read_lines(path: str | Path, blanks: bool = False, entities: bool = False) -> list[str]:
    """Texts of a file, one per line (UTF-8, else Windows-1252 line by line with a warning, as
    :func:`load_texts` reads labelled data; or gzip; ``-`` or a pipe: read as it comes); blank lines at the
    end (an editor's, or a CRLF file's) are dropped, blank lines before a text are refused (dropping them
    would shift the line numbering of the outputs) unless ``blanks``.

    Args:
        path: the file (``-``: standard input).
        blanks: a blank line before a text is kept as ``""`` (``translate run --file``: an empty line out, and
            ``sentiment predict --file`` an empty row, as fairseq-interactive and Marian keep lines aligned).
        entities: with ``blanks``, a line blank or invisible once its HTML references are read is ``""``.

    Raises:
        DataError: (core's, from :func:`~carrousel.core.files.read_text`) the file is missing, a folder, empty,
            only whitespace or not text; EmptyTextError (a TextDataError, a DataError) for a blank line before
            a text: each naming the file as its caller gave it (``path='t.txt'``, or ``--file t.txt``).
    """
    flag = option("path", flag="--file")  # the commands reading lines of texts name the file --file
    text = read_text(path, flag, "text", encodings=LEGACY_TEXT, streams=True)
    lines = without_blank_end(file_lines(text))  # not str.splitlines: a form feed or U+2028 is no line end
    where = named_path(path, flag)  # errors below: the file's line, blank ones counted
    return check_texts(blank_rows(lines, where, entities) if blanks else lines, where, blanks=blanks)


def label_order(labels: Sequence[str]) -> list[str]:
    """The model's classes: sorted, numerically when every label is an integer (``-1`` before ``1``)."""
    unique = set(labels)
    try:
        return sorted(unique, key=int)
    except ValueError:
        return sorted(unique)


@check_args
def stratified_split(labels: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``: ``fraction`` of each class held out, shuffled with ``seed``.

    Warns when a class has under 5% of the rows, and when a row of every class is well over ``fraction``.

    Raises:
        TextDataError: fewer than two rows of some class (no row could be held out).
    """
    rng = np.random.default_rng(seed)
    arr = np.asarray(labels)
    train, held = [], []
    for label in label_order(list(labels)):
        idx = np.flatnonzero(arr == label)
        if len(idx) < 2:
            fix = "add rows of it, or drop that row"
            if re.fullmatch(r"[-+]?\d*\.\d+", label):  # a column of scores (0.734), not classes
                fix = f"the labels look like scores ({len(set(labels))} values); bin them into classes"
            raise TextDataError(
                f"class {label!r} has {len(idx)} row; every class needs at least 2 to train (one is held out for "
                f"validation): {fix}"
            )
        rng.shuffle(idx)
        k = max(1, round(len(idx) * fraction))
        held.append(idx[:k])
        train.append(idx[k:])
    warn_class_shares(labels, fraction)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


@check_args
def read_as(text: str) -> str:
    r"""``text`` as a sentiment model reads it: without the whitespace around it, and each line break
    (``\r\n`` one) or other whitespace character inside it (tab, NBSP) read as one space. The fastText
    reader strips its lines, a table cell or a typed text may not: ``"dull . "`` and ``"dull ."`` must read
    alike (before, the trailing space was one more token, ``▁``, and moved the probabilities by up to 0.04).
    The tokenizers split words at spaces only: ``"good\nbad"`` was one word (``▁good``, then ``\nbad`` in
    unknown pieces) unless the model folds unknown characters, and ``"good\r\nbad"`` read a stray ``▁``.
    HTML references are read first (``don&#039;t`` as ``don't``, ``AT&T`` kept: ``entities.unescape_entities``)."""
    return _BREAK.sub(" ", unescape_entities(text).strip())


@check_args
def encode_texts(
    tokenizer: TextTokenizer,
    texts: Sequence[str],
    max_length: int,
    warn: bool = True,
    encoded: Sequence[Sequence[int]] | None = None,
    unread: bool = True,
) -> list[np.ndarray]:
    """Token ids per text, cut to ``max_length`` (a warning counts the truncated texts, unless ``warn`` is
    False: the caller then counts them itself); at least one id. ``unread``: a warning names the texts of
    which the model knows no word (:func:`warn_unread`; False: the caller names them, numbered as it was given
    them, or they are no one's rows, as a transfer set's augmented copies).

    A text is read without the whitespace around it (:func:`read_as`): a trailing space or line end would
    be one more token (``▁``) the texts trained on (stripped) never ended in. Very long texts are cut to
    ``max_length * 32`` characters before tokenising, so no input can exhaust memory. ``encoded``: the ids
    of those cut texts, tokenized already (not tokenized again).
    """
    cap = max_length * CHARS_PER_TOKEN_CAP
    if encoded is None:
        encoded = tokenizer.encode_batch([read_as(t)[:cap] for t in texts])
    cut = 0
    out = []
    for ids in encoded:
        if len(ids) > max_length:
            cut += 1
            ids = ids[:max_length]
        out.append(np.asarray(ids or [tokenizer.unk_id], dtype=np.int64))
    if cut and warn:
        warn_truncated(cut, len(texts), max_length)
    if unread:
        warn_unread(tokenizer.unread(out), len(texts))
    return out


@check_args
def warn_truncated(cut: int, total: int, max_length: int, consequence: str = "") -> None:
    """The one warning for ``cut`` of ``total`` texts longer than ``max_length`` tokens, ``consequence``
    (``": ..."``) said after it, in the right number (``1 of 3 texts is longer than 1 token and was ...``,
    ``the text is ...`` for one of one; before, ``1 of 1 texts are longer than 1 tokens``)."""
    who, (be, was) = (
        ("the text" if total == 1 else f"{cut} of {total} texts"),
        ("is", "was") if cut == 1 else ("are", "were"),
    )
    logger.warning(
        "%s %s longer than %s and %s truncated%s", who, be, counted(max_length, "token"), was, consequence
    )


class TextClassDataset(Dataset[tuple[torch.Tensor, int]]):
    """Token-id sequences with class indices; items are ``(ids (T_i,), label)``."""

    def __init__(self, ids: Sequence[np.ndarray], labels: Sequence[int] | None = None) -> None:
        self.ids = [torch.from_numpy(x) for x in ids]
        self.labels = list(labels) if labels is not None else [-1] * len(self.ids)
        self.lengths = [len(x) for x in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.ids[i], self.labels[i]


@check_args
def make_loader(
    dataset: TextClassDataset, batch_size: int, shuffle: bool, seed: int = 0, pin_memory: bool = False
) -> DataLoader[Any]:
    """Length-bucketed batches ``(ids (B, T), lengths (B,), labels (B,))`` padded with id 0, page-locked
    with ``pin_memory`` (for a trainer on CUDA: :func:`carrousel.core.device.pin_memory_for`)."""
    sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    collate = SequenceCollator(padding_value=0, sequence_targets=False)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, pin_memory=pin_memory)
