"""HF ``datasets`` sources, one code path for the sentiment (``--data``) and translation (``--pairs``) readers.

A source is a folder written by ``Dataset.save_to_disk`` (or a ``DatasetDict``'s: ``FOLDER#split``), or a
hub name with an optional config and split, ``NAME[:CONFIG][#split]`` (``imdb``, ``glue:sst2#validation``,
``wmt16:de-en#test``; the hub must be reachable). :func:`is_hf_source` tells such a source from a data
file, :func:`load_hf` loads one split, :func:`label_names` gives a ``ClassLabel`` column's names;
:func:`first_row_with_tab` finds a TSV's quote left open and :func:`bad_json_line` where a JSON file the
reader refused breaks.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from carrousel.nlp.errors import TextDataError

__all__ = [
    "FILE_SUFFIXES",
    "bad_json_line",
    "first_row_with_tab",
    "is_hf_source",
    "label_names",
    "load_hf",
    "quiet_datasets",
]

FILE_SUFFIXES = (
    ".csv", ".tsv", ".tab", ".json", ".jsonl", ".ndjson", ".parquet", ".txt", ".gz", ".cor", ".mo", ".po",
    ".pot", ".tmx", ".xlf", ".xliff", ".ts", ".qm",
)  # fmt: skip


def quiet_datasets() -> Any:
    """The ``datasets`` module (a heavy import: only when data is read) without progress bars or hub logs."""
    import datasets

    datasets.disable_progress_bars()
    datasets.utils.logging.set_verbosity_error()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    return datasets


def bad_json_line(path: Path) -> str:
    """Where a JSON-lines file (or a JSON array) first fails to parse, as a reader finds it in an editor:
    ``line 4: Expecting ',' delimiter (column 32)``; "" when it parses (or is gzip-compressed). Arrow's own
    message counts objects from 0 and skips blank lines ("in row 1" for a fourth line)."""
    if path.suffix == ".gz":
        return ""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    pieces = [(1, text)] if text.lstrip().startswith("[") else enumerate(text.splitlines(), 1)
    for first, piece in pieces:
        try:
            if piece.strip():
                json.loads(piece)
        except json.JSONDecodeError as exc:
            return f"line {first + exc.lineno - 1}: {exc.msg} (column {exc.colno})"
    return ""


def first_row_with_tab(ds: Any) -> int | None:
    """The first row (from 1) of data set ``ds`` with a tab inside a text cell, else None. In a TSV read
    with CSV quoting that is a double quote left open (a text starting with a quotation it never closes),
    which ran its field over tabs and lines to the next quote, swallowing the rows between."""
    rows = [
        next((i + 1 for i, v in enumerate(ds[c]) if isinstance(v, str) and "\t" in v), None)
        for c in ds.column_names
    ]
    return min((r for r in rows if r is not None), default=None)


def is_hf_source(spec: str) -> bool:
    """A saved data set folder (``#split`` allowed) or a hub name: not an existing file, and no path
    that looks like a file (a data file suffix, or starting with ``.``, ``/``, ``~``)."""
    path = Path(spec.partition("#")[0])
    if path.is_dir():
        return True
    if path.exists() or spec.startswith((".", "/", "~")):
        return False
    return path.suffix.lower() not in FILE_SUFFIXES


def load_hf(spec: str, flag: str, split: str = "train", what: str = "data set", split_flag: str = "") -> Any:
    """One split of a saved folder (``FOLDER[#split]``) or a hub data set (``NAME[:CONFIG][#split]``).

    Args:
        spec: the source as given on the command line.
        flag: the option that gave it, for messages (``--data``).
        split: the split when ``spec`` names none (a ``DatasetDict`` folder or a hub set).
        what: what the caller reads, for messages (``"translation set"``).
        split_flag: an option that also sets the split (``--split``), named in messages.

    Returns:
        A ``datasets.Dataset``.

    Raises:
        TextDataError: the folder or hub set cannot be loaded, or has no such split (one line each).
    """
    datasets = quiet_datasets()
    name, _, named = spec.partition("#")
    split = named or split
    folder = Path(name)
    how = f"add #SPLIT or {split_flag}" if split_flag else "add #SPLIT"
    try:
        if folder.is_dir():
            ds = datasets.load_from_disk(str(folder))
            if isinstance(ds, datasets.DatasetDict):
                if split not in ds:
                    raise TextDataError(f"{flag} {folder} has splits {', '.join(ds)}, not {split!r}; {how}")
                ds = ds[split]
        else:
            hub, _, config = name.partition(":")
            ds = datasets.load_dataset(hub, config or None, split=split)
    except TextDataError:
        raise
    except Exception as exc:  # datasets raises many types (missing folder files, no network, bad name)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise TextDataError(
            f"{flag} {spec}: cannot load it as an HF datasets {what} ({type(exc).__name__}: {first[:160]}); "
            f"check the folder, or the hub name, config, split{f' ({split_flag})' if split_flag else ''} "
            "and the network, or give a local file"
        ) from None
    return ds


def label_names(ds: Any, column: str) -> list[str] | None:
    """The class names of a ``ClassLabel`` column (index ``i`` is ``names[i]``), else None."""
    feature = getattr(ds, "features", {}).get(column)
    names = getattr(feature, "names", None)
    return list(names) if names else None
