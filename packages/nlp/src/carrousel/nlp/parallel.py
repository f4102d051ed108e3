"""Parallel text for translation: reading, cleaning and a fixed-seed train/valid/test split.

Sources (:func:`read_pairs`):

* gettext catalogues (:mod:`carrousel.nlp.gettext_pairs`): compiled ``.mo`` files and their ``.po``
  sources, one set of rules, so that a ``.po`` and the ``.mo`` msgfmt compiles from it give the same pairs
  in the same order (a ``.po``'s fuzzy drafts and obsolete entries left out, as msgfmt leaves them out;
  a ``.pot`` template, which has no translations, refused). English ``msgid`` (its ``msgctxt`` context
  removed) -> translated ``msgstr``, in the charset the header declares. Kept: single-line, non-empty
  messages with a translation. Dropped: the header, plural forms, messages with line breaks, messages
  without a letter (``%s``, ``%s: %s``...). C-format messages with ``<inttypes.h>`` macros (``%<PRIuMAX>``),
  which msgfmt stores in a separate table, are read with the macros expanded (``%lu``, as on LP64 glibc).
  Printf placeholders (``%s``, ``%d``) are kept as
  written: they are ordinary tokens that the model learns to copy to the right place.
* TSV (``.tsv``/``.tab``/``.txt`` with a tab): source, tab, target; a first row naming the columns
  (``source<TAB>target``, ``input<TAB>output``...) or the languages is a header: ``de<TAB>en``, ``id<TAB>en<TAB>de``
  or ``German<TAB>English``: read by the columns it names for ``src`` and ``tgt``; a header of language codes or
  names naming neither: refused (:mod:`carrousel.nlp.tsv_header`). A file written with CSV quoting (pandas'
  ``to_csv(sep="\\t")``) is read unquoted, one without (OPUS, Tatoeba) as written: :mod:`carrousel.nlp.tsv_quoting`.
* JSONL (``.jsonl``/``.json``): one object per line, ``{"en": ..., "de": ...}`` or HF datasets'
  ``{"translation": {"en": ..., "de": ...}}``; or one JSON array of such objects.
* TMX translation memories (``.tmx``) and XLIFF files (``.xlf``/``.xliff``, 1.2 and 2.x), also
  gzip-compressed (``.tmx.gz``, as OPUS offers its corpora): :mod:`carrousel.nlp.tmx_xliff` (languages
  matched by primary subtag, untranslated units left out, inline native codes dropped, DTDs refused).
* Qt Linguist catalogues (Qt's and KDE's): ``.ts`` sources and compiled ``.qm`` files, ``.gz`` too:
  :mod:`carrousel.nlp.qt_linguist` (unfinished, vanished and obsolete messages left out, the first plural
  form kept, the gettext rules for multi-line and letterless messages, the file's language checked).
* Two keyed catalogues of one program, the source language's and the target's (Java ``.properties``,
  Android ``strings.xml``, JSON i18n, Apple ``.strings``, .NET ``.resx``): joined by key,
  :mod:`carrousel.nlp.keyed_catalogues` (keys in one file only and untranslated entries counted).
* Two aligned plain-text files: line ``i`` of the first translates into line ``i`` of the second.
  TSV, JSONL and aligned text files may be gzip-compressed (``.tsv.gz``, ``.jsonl.gz``, ``.txt.gz``).
* HF ``datasets`` translation sets: a folder written by ``Dataset.save_to_disk`` (or a ``DatasetDict``'s,
  ``FOLDER#split``, default ``train``), or a hub name with its config and split, ``wmt16:de-en#train``,
  ``iwslt2017:iwslt2017-en-de#test`` (the hub must be reachable). Rows hold a ``translation`` column of
  ``{src: ..., tgt: ...}`` (the hub's translation sets), or ``src`` and ``tgt`` columns.

Cleaning (:func:`clean_pairs`): whitespace collapsed, empty sides dropped, pairs whose word counts differ
by more than ``max_ratio`` (or longer than ``max_words``) dropped, and duplicate sources dropped (the first
translation wins), so that one source text can never be in two splits. Text in a script written without
spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) has its characters counted as
fractions of a word, at the characters per English word measured on real catalogues; text without such
characters is counted by splitting on whitespace, as it always was. :func:`split_pairs` shuffles with
a seed and cuts valid and test shares.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.encodings import LEGACY_TEXT, file_lines
from carrousel.core.errors import DataError
from carrousel.core.files import DEFAULT_MAX_BYTES, read_text
from carrousel.core.json_records import json_records
from carrousel.core.option_names import naming_flags, option
from carrousel.core.paths import format_suffix, user_path, user_spec
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import read_mo, read_po
from carrousel.nlp.hf_data import is_hf_source, load_hf
from carrousel.nlp.keyed_catalogues import keyed_format, read_keyed
from carrousel.nlp.qt_linguist import read_qm, read_ts
from carrousel.nlp.scripts import HAN, HAN_PER_WORD, JAPANESE_PER_WORD, KANA, UNSPACED, UNSPACED_SCRIPTS
from carrousel.nlp.text_checks import without_blank_end
from carrousel.nlp.tmx_xliff import XML_SUFFIXES, read_tmx_xliff
from carrousel.nlp.tsv_header import tsv_columns
from carrousel.nlp.tsv_quoting import tsv_rows

__all__ = [
    "PAIRS_MAX_BYTES",
    "ParallelSplit",
    "clean_pairs",
    "read_pairs",
    "read_spaced",
    "sift_pairs",
    "split_pairs",
    "vary_case",
]

logger = logging.getLogger(__name__)

# bound on a TSV, JSONL or aligned text file and on its decompressed text (each is read whole)
PAIRS_MAX_BYTES = DEFAULT_MAX_BYTES
Pair = tuple[str, str]
_WORDLIKE = re.compile(r"\w")


def _read_text(path: Path) -> str:
    """UTF-8 text (else Windows-1252 line by line, with a warning), gzip-compressed when the name ends in ``.gz``, through :func:`carrousel.core.files.read_text`
    (a regular, non-empty file within :data:`PAIRS_MAX_BYTES`, decompressed too; a byte-order mark, which
    Windows editors write, is no part of the first line; NUL bytes refused), its refusals as
    :class:`~carrousel.nlp.errors.TextDataError`."""
    if not path.exists() and not path.is_symlink():
        raise TextDataError(f"{path}: no such file; check the path")  # as nlp's other readers say it
    try:
        return read_text(path, None, "parallel text", PAIRS_MAX_BYTES, encodings=LEGACY_TEXT)
    except DataError as exc:
        raise TextDataError(str(exc)) from None


def _read_tsv(path: Path, src: str, tgt: str) -> list[Pair]:
    """Pairs of a TSV file; a first line naming the languages (in either order, more columns too) or the
    columns is a header, and the columns it names for ``src`` and ``tgt`` are read."""
    pairs = []
    columns, width, first = (0, 1), 2, True
    for i, cells in tsv_rows(file_lines(_read_text(path)), str(path)):  # pandas' "He said ""hi""", CSV-quoted
        named, first = tsv_columns(path, cells, src, tgt) if first else None, False
        if named:
            columns, width = named, len(cells)
            continue  # a header naming the languages or the columns
        if len(cells) != width:
            raise TextDataError(
                f"{path} line {i + 1} has {len(cells)} tab-separated fields, not {width}; write"
                " source<TAB>target per line (more columns need a header line naming the languages)"
            )
        pairs.append((cells[columns[0]], cells[columns[1]]))
    return pairs


def _read_jsonl(path: Path, src: str, tgt: str) -> list[Pair]:
    """Pairs of a JSON lines file, or of a ``.json`` file holding one array of objects (as the sentiment
    ``--data`` reads it, and as ``json.dump(rows)`` writes it): :func:`~carrousel.core.json_records.json_records`."""
    return [
        _row_pair(row, src, tgt, where)
        for where, row in json_records(_read_text(path), str(path), TextDataError)
    ]


def _row_pair(row: dict[str, object], src: str, tgt: str, where: str) -> Pair:
    """``(source, target)`` of one data set row: a ``translation`` dict column, or ``src``/``tgt`` columns."""
    found = row.get("translation") if isinstance(row.get("translation"), dict) else row
    assert isinstance(found, dict)
    a, b = found.get(src), found.get(tgt)
    if not isinstance(a, str) or not isinstance(b, str):
        raise TextDataError(
            f"{where} lacks {src!r} and {tgt!r} texts (found: {', '.join(sorted(map(str, found)))}); "
            f"check {option('src')}/{option('tgt')}"
        )
    return a, b


def _read_hf(spec: str, src: str, tgt: str) -> list[Pair]:
    """Pairs of an HF ``datasets`` translation set: a saved folder (``FOLDER[#split]``) or a hub name
    (``NAME[:CONFIG][#split]``), loaded as the sentiment data sets are (:func:`~carrousel.nlp.hf_data.load_hf`)."""
    ds = load_hf(spec, option("pairs"), "train", "translation set")
    return [_row_pair(row, src, tgt, f"{spec} row {i + 1}") for i, row in enumerate(ds)]


@check_args
def read_pairs(
    paths: Sequence[str | Path], src: str = "en", tgt: str = "de", *, model_tgt: bool = False
) -> list[Pair]:
    """Raw ``(source, target)`` pairs from one ``.mo``/``.po``/TSV/JSONL/TMX/XLIFF/``.ts``/``.qm`` file, two
    keyed catalogues (``.properties``, ``strings.xml``, ``.json``, ``.strings``, ``.resx``: joined by key), two
    aligned text files, or an HF ``datasets`` translation set (a saved folder or a hub name, see the module
    docstring).

    Args:
        paths: one file or data set, or two keyed catalogues or aligned plain-text files (source first).
        src: source language code (a JSONL key; a TSV header naming it is skipped; a TMX/XLIFF/``.ts`` language).
        tgt: target language code.
        model_tgt: ``tgt`` is a trained model's target language (scoring it), not a choice of this run:
            a catalogue of another language is then a warning naming the model's (:func:`read_mo`).

    Raises:
        TextDataError: a missing or unreadable file, an unknown format, or no pair at all.
    """
    paths = [user_spec(p) for p in paths]  # "~/a.po" is in the home folder; a hub name stays as it is
    files = [user_path(p) for p in paths]
    if len(files) == 2 and any(keyed_format(f) for f in files):
        pairs = read_keyed(files[0], files[1], tgt, model=model_tgt)
    elif len(files) == 2:
        a, b = (file_lines(_read_text(f)) for f in files)
        if len(a) != len(b):  # blank lines at the end of one (an editor's) are no lines to align
            a, b = without_blank_end(a), without_blank_end(b)
        if len(a) != len(b):
            raise TextDataError(
                f"{files[0]} has {len(a)} lines but {files[1]} has {len(b)}; aligned files need equal lines"
            )
        pairs = list(zip(a, b, strict=True))
    elif len(files) == 1 and is_hf_source(str(paths[0])):
        pairs = _read_hf(str(paths[0]), src, tgt)
    elif len(files) == 1:
        f = files[0]
        suffix, inner = f.suffix.lower(), format_suffix(f)  # .tsv of .tsv.gz
        if inner in XML_SUFFIXES:
            pairs = read_tmx_xliff(f, src, tgt, model=model_tgt)
        elif inner in (".ts", ".qm"):
            pairs = (read_ts if inner == ".ts" else read_qm)(f, src, tgt, model=model_tgt)
        elif suffix == ".gz" and inner in (".mo", ".po", ".pot"):
            raise TextDataError(f"{f}: a compressed gettext catalogue; gunzip it first")
        elif suffix in (".mo", ".po", ".pot"):
            reader = read_mo if suffix == ".mo" else read_po
            pairs = reader(f, None if model_tgt else tgt, model_tgt=tgt if model_tgt else None)
        elif inner in (".jsonl", ".json"):
            pairs = _read_jsonl(f, src, tgt)
        elif inner in (".tsv", ".tab", ".txt") or not f.exists():
            pairs = _read_tsv(f, src, tgt)
        else:
            raise TextDataError(
                f"{f}: unknown pairs format {suffix!r}; give a .mo, .po, .tsv, .jsonl, .tmx, .xlf, .ts or .qm file"
            )
    else:
        raise TextDataError(f"give one pairs file or two aligned text files, got {len(files)}")
    if not pairs:
        raise TextDataError(f"{', '.join(map(str, files))} holds no translation pair; check the file")
    return pairs


def read_spaced(text: str) -> str:
    """``text`` as the pairs are read: each run of whitespace one space, none around."""
    return " ".join(text.split())  # str.split's whitespace is the regex \s's


def _words(text: str) -> float:
    """Word count of ``text``: whitespace-separated tokens, or for text holding characters of a script
    written without spaces, those characters as fractions of a word plus the word-like tokens (``git``,
    ``%s``, ``--amend``) around them; punctuation between such characters does not count."""
    if not UNSPACED.search(text):
        return len(text.split())
    han, kana = len(HAN.findall(text)), len(KANA.findall(text))
    units = (han + kana) / JAPANESE_PER_WORD if kana else han / HAN_PER_WORD
    units += sum(len(pattern.findall(text)) / per_word for pattern, per_word in UNSPACED_SCRIPTS)
    return units + sum(1 for token in UNSPACED.sub(" ", text).split() if _WORDLIKE.search(token))


@check_args
def clean_pairs(pairs: Sequence[Pair], max_ratio: float = 3.0, max_words: int = 80) -> list[Pair]:
    """Pairs with whitespace collapsed, minus empty, over-long, badly proportioned and repeated ones.

    Args:
        pairs: raw ``(source, target)`` pairs.
        max_ratio: most ratio between the word counts of the two sides (``+1`` each, so short pairs pass;
            characters of scripts written without spaces count as fractions of a word, see the module).
        max_words: most words per side (counted the same way).

    Returns:
        The kept pairs, in input order; a source kept once (its first translation).
    """
    kept, dropped = sift_pairs(pairs, max_ratio, max_words)
    logger.info("kept %d of %d pairs (dropped: %s)", len(kept), len(pairs), dropped)
    return kept


@check_args
def sift_pairs(
    pairs: Sequence[Pair], max_ratio: float | None = 3.0, max_words: int | None = 80
) -> tuple[list[Pair], dict[str, int]]:
    """:func:`clean_pairs` with the count of the pairs dropped for each reason.

    Args:
        pairs: raw ``(source, target)`` pairs.
        max_ratio: most ratio between the word counts of the two sides (None: no limit).
        max_words: most words per side (None: no limit).

    Returns:
        The kept pairs, and the pairs dropped: ``empty`` (a side empty), ``length`` (over ``max_words`` or
        ``max_ratio``; a key only when either is set) and ``duplicate`` (a source seen before).
    """
    kept: list[Pair] = []
    seen: set[str] = set()
    lengths = max_ratio is not None or max_words is not None
    dropped = {"empty": 0, "length": 0, "duplicate": 0} if lengths else {"empty": 0, "duplicate": 0}
    for s, t in pairs:
        s, t = read_spaced(s), read_spaced(t)
        if not s or not t:
            dropped["empty"] += 1
            continue
        if lengths:
            ns, nt = _words(s) + 1, _words(t) + 1
            if (max_words is not None and max(ns, nt) > max_words + 1) or (
                max_ratio is not None and max(ns / nt, nt / ns) > max_ratio
            ):
                dropped["length"] += 1
                continue
        if s in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(s)
        kept.append((s, t))
    return kept, dropped


_DROPPED = {"empty": "with an empty side", "duplicate": "repeating an earlier source"}  # "length": see below


@dataclass(frozen=True)
class ParallelSplit:
    """Train, validation and test pairs."""

    train: list[Pair]  # for the vocabulary and the weights
    valid: list[Pair]  # for early stopping
    test: list[Pair]  # never seen in training

    def sizes(self) -> dict[str, int]:
        """Pairs per split."""
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


@check_args
def split_pairs(
    pairs: Sequence[Pair], valid: float, test: float, seed: int, dropped: Mapping[str, int] | None = None
) -> ParallelSplit:
    """Shuffles with ``seed`` and cuts ``valid`` and ``test`` shares (each at least one pair when > 0).

    Args:
        pairs: the clean pairs.
        valid: validation share.
        test: test share.
        seed: shuffle seed.
        dropped: the pairs cleaning dropped per reason (:func:`sift_pairs`), logged and named in the error.

    Raises:
        TextDataError: fewer pairs than the split needs (at least 2 for training).
    """
    n = len(pairs)
    lost = {reason: count for reason, count in (dropped or {}).items() if count}
    if dropped is not None:
        logger.info("kept %d of %d pairs (dropped: %s)", n, n + sum(lost.values()), dropped)
    n_valid = max(1, round(n * valid)) if valid > 0 else 0
    n_test = max(1, round(n * test)) if test > 0 else 0
    if n - n_valid - n_test < 2:
        cli = naming_flags()  # the limits as the caller set them: a --config file's [data] table, or data.*
        limits = "[data] max_words, max_ratio of --config" if cli else "data.max_words, data.max_ratio"
        reasons = {**_DROPPED, "length": f"too long or unequal in length: {limits}"}
        why = ", ".join(f"{count} {reasons[reason]}" for reason, count in lost.items())
        raise TextDataError(
            f"{n} clean pairs are too few to split off valid and test sets"
            + (f" (cleaning dropped {why})" if why else "")
            + "; give more"
        )
    order = np.random.default_rng(seed).permutation(n)
    pick = [pairs[i] for i in order]
    return ParallelSplit(
        train=pick[n_valid + n_test :], valid=pick[:n_valid], test=pick[n_valid : n_valid + n_test]
    )


@check_args
def vary_case(pairs: Sequence[Pair], share: float, seed: int) -> list[Pair]:
    """Training pairs with ``share`` of those whose source starts in lower case capitalised on both sides.

    Software messages of one program mostly start in lower case (git's) or mostly capitalised (apt's);
    with a case-keeping vocabulary a model trained on one style then fails on the other. Capitalising
    the first letter of both sides in a share of the pairs (replacing them, so an epoch costs the same)
    teaches both forms.
    """
    rng = np.random.default_rng(seed)
    flips = rng.random(len(pairs)) < share
    out = []
    for (s, t), flip in zip(pairs, flips, strict=True):
        if flip and s[:1].islower():
            s, t = s[0].upper() + s[1:], t[:1].upper() + t[1:]
        out.append((s, t))
    return out
