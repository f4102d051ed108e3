"""Manifest files (one utterance per row) and Mozilla Common Voice language folders.

A manifest is a table with a header: ``.tsv`` (tab-separated, unquoted, as Common Voice's ``train.tsv``
and Kaldi-style lists are), ``.csv`` (comma-separated with the usual quoting, as a Hugging Face
audiofolder's ``metadata.csv``), or ``.jsonl`` (one object per line, as NeMo's manifests). Its columns are
found by the usual names of each role (:data:`COLUMNS`, the one table of them): the recording, its
transcript, optionally its speaker and its duration. A recording is named relative to the manifest's
folder, or to the ``clips/`` folder beside it (Common Voice's ``path`` column names a file in ``clips/``).

A row may name a part of a long recording, as long-form corpora are released: NeMo's ``offset`` (seconds)
with its ``duration`` is ``[offset, offset + duration)``; ``start`` and ``end`` columns (``start_time`` /
``end_time``, ``begin`` / ``end``; ``start_ms`` / ``end_ms`` in milliseconds) are ``[start, end)``. A start
without an end or a duration runs to the recording's end. The row's recording is then that part
(:func:`carrousel.speech.audio.segment_path`, ``rec.wav#START-END``), its times checked against the
recording's length as the manifest is read (:mod:`carrousel.speech.segments`). Without these columns ``duration``
is the recording's length: the header's is used (training's length limits and batches follow it), and rows
whose duration disagrees with it (off by more than 0.1 s and 5 %: a wrong manifest, or one of other files) are
counted in one warning naming the first (before: silently, and training took 100 s for a 1.5 s file as too
long). Every row's recording has its header read as the manifest is read, and one that cannot be read
(not audio, empty, cut short) is refused naming its line (:meth:`carrousel.speech.segments.SegmentTimes.recording`).

A Common Voice language folder (``cv-corpus-NN/en``: ``clips/`` and one TSV per split) is read one split at
a time: ``ROOT#test`` is ``ROOT/test.tsv`` (``#dev``, ``#train``, ``#validated``, ...). The splits overlap
(``validated`` holds ``train``, ``dev`` and ``test``), so the folder without a split is an error naming them.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any, NamedTuple

from carrousel.core.encodings import file_lines
from carrousel.core.errors import DataError
from carrousel.core.files import read_text
from carrousel.core.files_text import decode_checked, read_failure
from carrousel.core.json_records import json_records
from carrousel.core.option_names import option
from carrousel.core.paths import format_suffix, user_path
from carrousel.speech.audio import AUDIO_SUFFIXES
from carrousel.speech.errors import CorpusError
from carrousel.speech.segments import SegmentTimes

__all__ = [
    "COLUMNS",
    "ManifestRow",
    "common_voice_manifest",
    "is_common_voice",
    "read_manifest",
    "read_transcript",
]

logger = logging.getLogger(__name__)

# The names each column of a manifest is known by, in the order they are looked for.
COLUMNS: dict[str, tuple[str, ...]] = {
    # wav_filename: DeepSpeech's
    "path": ("path", "audio", "audio_filepath", "file_name", "file", "wav", "wav_filename"),
    "transcript": ("transcription", "text", "transcript", "sentence", "normalized_text"),
    "speaker": ("speaker", "speaker_id", "client_id"),
    "seconds": ("seconds", "duration"),
    "start": ("offset", "start", "start_time", "begin", "begin_time"),  # seconds into the recording
    "end": ("end", "end_time"),
    "start_ms": ("start_ms", "offset_ms", "begin_ms"),  # the same in milliseconds
    "end_ms": ("end_ms",),
}
_NEEDED = ("path", "transcript")
_CLIPS = "clips"  # where Common Voice keeps the recordings its TSVs name


class ManifestRow(NamedTuple):
    """One row of a manifest, its transcript as written."""

    path: Path  # the recording
    text: str  # the transcript, not yet normalised
    seconds: float | None  # duration, when given
    speaker: str  # speaker, when given


def _seconds(value: object, where: str) -> float | None:
    """A manifest's duration: empty is unknown; otherwise a finite number of seconds above zero."""
    if value is None or value == "":
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or not 0 < seconds < float("inf"):
        raise CorpusError(f"{where}: seconds {value!r} is not a positive number; fix it or leave it empty")
    return seconds


def _time(row: dict[str, Any], names: dict[str, str], role: str, where: str) -> float | None:
    """A row's start or end (``role``) in seconds, from its seconds or milliseconds column; empty is none."""
    for name, scale in ((role, 1.0), (f"{role}_ms", 1000.0)):
        value = row.get(name)
        if value is None or value == "":
            continue
        try:
            time = float(value) / scale
        except (TypeError, ValueError):
            time = float("nan")
        if isinstance(value, bool) or not 0 <= time < float("inf"):
            raise CorpusError(
                f"{where}: {names[name]} {value!r} is not a time of 0 or more {'ms' if scale > 1 else 'seconds'}"
            )
        return time
    return None


def _row(
    base: Path,
    file: str,
    text: str,
    row: dict[str, Any],
    names: dict[str, str],
    where: str,
    times: SegmentTimes,
    off: list[tuple[str, Path, float, float]],
) -> ManifestRow:
    """One row: its recording (or the part of it its times name), transcript, duration and speaker; a row
    whose duration disagrees with its whole recording's length goes to ``off`` (where, file, given, length)."""
    seconds = _seconds(row.get("seconds"), where)
    speaker = "" if row.get("speaker") is None else str(row["speaker"]).strip()
    start, end = _time(row, names, "start", where), _time(row, names, "end", where)
    if start is None and end is None:  # the whole recording (its header checked); a duration is its length
        length = times.recording(base / file, where)  # None: a .mfc feature file (no header read)
        if seconds is not None and length is not None and _disagrees(seconds, length):
            off.append((where, base / file, seconds, length))
        return ManifestRow(base / file, text, seconds if length is None else length, speaker)
    if end is None and seconds is not None:  # NeMo: the part is [offset, offset + duration)
        end = (start or 0.0) + seconds
    if end is None and not start:
        return ManifestRow(base / file, text, times.recording(base / file, where), speaker)
    part, length = times.part(base / file, start or 0.0, end, where)
    return ManifestRow(Path(part), text, length, speaker)


def _disagrees(given: float, length: float) -> bool:
    """True when a manifest's duration is not its recording's ``length`` (seconds): off by more than 0.1 s and
    5 % (rounded durations, 1.5 for 1.53 s, agree)."""
    return abs(given - length) > max(0.1, 0.05 * length)


def _warn_durations(path: Path, off: list[tuple[str, Path, float, float]], rows: int) -> None:
    if off:
        where, file, given, length = off[0]
        logger.warning(
            "%s: %d of %d rows give a duration that is not their recording's length (first: %s: %g s, %s "
            "holds %.2f s); the recordings' lengths are used: check the manifest's duration column",
            path,
            len(off),
            rows,
            where.removeprefix(f"{path}: "),  # its line
            given,
            file.name,
            length,
        )


def _columns(found: list[str], where: str, holder: str = "the header", hint: str = "") -> dict[str, str]:
    """The column of each role present among ``found`` (names compared stripped and lower-cased)."""
    names = {f.strip().lower(): f for f in found}
    picked = {}
    for role, known in COLUMNS.items():
        if name := next((n for n in known if n in names), None):
            picked[role] = names[name]
    if missing := [role for role in _NEEDED if role not in picked]:
        accepted = "; ".join(f"{role}: {' | '.join(COLUMNS[role])}" for role in missing)
        raise CorpusError(
            f"{where}: {holder} names no {' or '.join(missing)} column (it has {', '.join(found) or 'nothing'});"
            f" the names accepted are {accepted}{hint}"
        )
    return picked


def _base(path: Path, first: str) -> Path:
    """The folder the manifest's recordings are named in: its own, or ``clips/`` beside it (Common Voice)."""
    base = path.parent
    if first and not (base / first).exists() and (base / _CLIPS / first).exists():
        logger.info("%s: the recordings are read from %s", path, base / _CLIPS)
        return base / _CLIPS
    return base


def _jsonl(path: Path, text: str) -> list[ManifestRow]:
    """The rows of a JSON Lines manifest or of a ``.json`` one holding one array of objects
    (:func:`~carrousel.core.json_records.json_records`: before, the array was refused as "line 1 is not a
    JSON object")."""
    rows: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    for where, row in json_records(text, str(path), CorpusError):
        cols = _columns(list(row), where, "the object")
        if not isinstance(row[cols["path"]], str) or not isinstance(row[cols["transcript"]], str):
            raise CorpusError(
                f"{where}: its {cols['path']} and {cols['transcript']} are not both JSON strings; write the"
                " recording's path and its transcript in quotes"
            )
        rows.append((where, cols, {role: row.get(col) for role, col in cols.items()}))
    base, times = _base(path, rows[0][2]["path"] if rows else ""), SegmentTimes()
    off: list[tuple[str, Path, float, float]] = []  # rows whose duration is not their recording's length
    out = [_row(base, r["path"], r["transcript"], r, cols, where, times, off) for where, cols, r in rows]
    _warn_durations(path, off, len(out))
    return out


def read_manifest(path: Path) -> list[ManifestRow]:
    """The rows of a ``.tsv``, ``.csv`` or ``.jsonl`` manifest (any other name is read as TSV).

    Raises:
        CorpusError: an unreadable file, a header without a recording or transcript column, a short row, a
            row with more (non-empty) fields than the header (a tab or an unquoted comma in a transcript),
            a duration that is not a positive number, or a start or end that is not a time (0 or more) or
            an end not after its start, a part past its recording's end, or a recording that is missing,
            not audio, empty or cut short (:mod:`carrousel.speech.segments`).
    """
    path = user_path(path)  # recordings named relative to it are found beside it
    text = read_text(path, option("data"), "manifest")
    suffix = format_suffix(path)  # .csv of x.csv.gz
    if suffix in (".jsonl", ".json"):
        return _jsonl(path, text)
    comma = suffix == ".csv"
    lines = file_lines(text)  # a TSV is unquoted: Common Voice's sentences hold bare quotes ("Stop," ...)
    table = list(csv.reader(lines) if comma else csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = table[0] if table else []
    hint = (
        f"; a {suffix or '.tsv'} separates its columns by {'commas' if comma else 'tabs'}"
        if len(header) == 1
        else ""
    )
    if header and Path(header[0].strip()).suffix.lower() in AUDIO_SUFFIXES:  # a first row, no header above it
        sep = "," if comma else "<TAB>"
        hint = (
            f"; its first line is a recording, not a header: add the line path{sep}transcript above it{hint}"
        )
    cols = _columns(header, f"{path}", hint=hint)
    index = {role: header.index(col) for role, col in cols.items()}
    body = [(n, row) for n, row in enumerate(table[1:], 2) if row and "".join(row).strip()]
    base = _base(path, body[0][1][index["path"]] if body and len(body[0][1]) > index["path"] else "")
    out, times = [], SegmentTimes()  # each recording's length read once, however many rows name parts of it
    off: list[tuple[str, Path, float, float]] = []  # rows whose duration is not their recording's length
    for n, row in body:
        if len(row) <= max(index.values()):
            sep = "commas" if comma else "tabs"
            raise CorpusError(f"{path}: line {n} has {len(row)} fields, the header {len(header)}; use {sep}")
        if any(cell.strip() for cell in row[len(header) :]):  # before: the cells past the header were dropped
            fix = (
                'quote a transcript holding a comma ("seven, three")'
                if comma
                else "replace a tab in a transcript by a space"
            )
            raise CorpusError(
                f"{path}: line {n} has {len(row)} fields, the header {len(header)}: the text past field {len(header)}"
                f" would be lost; {fix}"
            )
        values = {role: row[i].strip() for role, i in index.items() if role != "transcript"}
        if not comma and len(values["path"]) > 1 and values["path"][0] == values["path"][-1] == '"':
            # a spreadsheet's quoted TSV cell (before: no file '"a.wav"')
            values["path"] = values["path"][1:-1]
        where = f"{path}: line {n}"
        out.append(_row(base, values["path"], row[index["transcript"]], values, cols, where, times, off))
    _warn_durations(path, off, len(out))
    return out


def read_transcript(path: Path) -> str:
    """The text of one recording's transcript file (``.txt``, ``.lab``): UTF-8 (a byte-order mark skipped)
    or, after its byte-order mark, UTF-16 (Windows' "Unicode"); an empty file is an empty transcript. Before,
    bytes that were not UTF-8 became U+FFFD and UTF-16 letters were read apart: a silently wrong transcript.

    Raises:
        CorpusError: the file cannot be read, is not UTF-8 text (naming its first bad byte and iconv), is not
            UTF-16 text after a UTF-16 byte-order mark, or holds NUL bytes (a binary file).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise read_failure(exc, str(path), "check the file", CorpusError) from None
    try:  # core's decoder: UTF-16 after its byte-order mark, NUL bytes refused; empty is a transcript
        return decode_checked(raw, str(path), "transcript", None, ("utf-8-sig",), blank_ok=True)
    except DataError as exc:
        raise CorpusError(str(exc)) from None


def is_common_voice(root: Path) -> bool:
    """True when ``root`` is a Common Voice language folder: a ``clips/`` folder and TSVs beside it."""
    return root.is_dir() and (root / _CLIPS).is_dir() and next(root.glob("*.tsv"), None) is not None


def common_voice_manifest(root: Path, split: str | None) -> Path:
    """The TSV of one split of a Common Voice language folder (``test`` -> ``ROOT/test.tsv``).

    Raises:
        CorpusError: no split named (the splits overlap), or one the folder has no TSV for.
    """
    splits = sorted(p.stem for p in root.glob("*.tsv"))
    if split and split in splits:
        return root / f"{split}.tsv"
    if split:
        raise CorpusError(
            f"{option('data', f'{root}#{split}')}: no {split}.tsv there; choose one of {', '.join(splits)}"
        )
    overlap = "; validated holds train, dev and test" if "validated" in splits else ""
    raise CorpusError(
        f"{option('data', str(root))} is a Common Voice folder: name one split, as {root}#test (its TSVs: {', '.join(splits)}"
        f"{overlap})"
    )
