"""HF ``datasets`` sources, one code path for the sentiment (``--data``) and translation (``--pairs``) readers.

A source is a folder written by ``Dataset.save_to_disk`` (or a ``DatasetDict``'s: ``FOLDER#split``), or a
hub name with an optional config and split, ``NAME[:CONFIG][#split]`` (``imdb``, ``glue:sst2#validation``,
``wmt16:de-en#test``). Before a hub name is loaded, one quick probe asks whether the hub endpoint answers
(``huggingface_hub.constants.ENDPOINT``, so ``HF_ENDPOINT`` counts; through the hub's own HTTP client, so its
proxies count): where it does not, the set is loaded in offline mode, from the local HF cache or failing at
once, instead of after the hub's 23 s of retries. :func:`is_hf_source` tells such a source from a data
file, :func:`load_hf` loads one split, :func:`label_names` gives a ``ClassLabel`` column's names;
:func:`first_row_with_tab` finds a TSV's quote left open and :func:`bad_json_line` where a JSON file the
reader refused breaks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from carrousel.core.encodings import file_lines, undecodable
from carrousel.core.option_names import named_path
from carrousel.core.paths import is_gzip
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

logger = logging.getLogger(__name__)

# seconds the hub reachability probe waits (to connect, then for an answer) before loading offline
HUB_PROBE_TIMEOUT = 3.0
# a proxy's or gateway's answer for a host it could not reach (or the hub down): not reachable
_PROXY_FAILURES = (502, 503, 504)
_BREAKS = {"\n", "\r"}  # a cell holding one spans lines
# per process: hub endpoint -> why its probe failed ("" when it answered)
_UNREACHABLE: dict[str, str] = {}

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


def bad_json_line(path: Path, flag: str = "--data") -> str:
    """Where a JSON-lines file (or a JSON array) first fails to parse, as a reader finds it in an editor:
    ``line 4: Expecting ',' delimiter (column 32)``; "" when it parses (or is gzip-compressed). Arrow's own
    message counts objects from 0 and skips blank lines ("in row 1" for a fourth line).

    Raises:
        TextDataError: the file is not UTF-8 (past the head judged before it was read: ``datasets`` reads
            JSON lines as UTF-8 only), naming the first bad byte by line and column and the conversion, as
            :func:`~carrousel.core.encodings.decode_text` refuses a file (before: the byte read as U+FFFD,
            no word of it).
    """
    if is_gzip(path):
        return ""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TextDataError(undecodable(raw, ("utf-8-sig",), named_path(path, flag))) from None
    pieces = [(1, text)] if text.lstrip().startswith("[") else enumerate(file_lines(text), 1)
    for first, piece in pieces:
        try:
            if piece.strip():
                json.loads(piece)
        except json.JSONDecodeError as exc:
            return f"line {first + exc.lineno - 1}: {exc.msg} (column {exc.colno})"
    return ""


def first_row_with_tab(ds: Any) -> int | None:
    """The first row (from 1) of data set ``ds`` with a tab and a line break inside a text cell, else None.
    In a TSV read with CSV quoting that is a double quote left open (a text starting with a quotation it
    never closes), which ran its field over tabs and lines to the next quote, swallowing the rows between.
    A tab in a cell on one line is a field quoted whole (``"a<TAB>b"``, as Python's csv and pandas write a
    text holding a tab), not a quote left open."""
    rows = [
        next(
            (i + 1 for i, v in enumerate(ds[c]) if isinstance(v, str) and "\t" in v and _BREAKS & set(v)),
            None,
        )
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


def _probe(endpoint: str) -> str:
    """Why ``endpoint`` does not answer one HEAD request within :data:`HUB_PROBE_TIMEOUT` seconds ("" when it
    does), asked through ``huggingface_hub``'s shared HTTP client: its proxies (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``NO_PROXY``) and any client factory set for it count, as for the hub's own requests."""
    from huggingface_hub.utils import get_session

    try:
        answer = get_session().head(endpoint, timeout=HUB_PROBE_TIMEOUT)
    except Exception as exc:  # the client's connect, timeout and proxy errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {first[:80]}" if first else type(exc).__name__
    return f"HTTP {answer.status_code}" if answer.status_code in _PROXY_FAILURES else ""


def _hub_unreachable(endpoint: str) -> str:
    """:func:`_probe` of ``endpoint``, asked once per process."""
    if endpoint not in _UNREACHABLE:
        _UNREACHABLE[endpoint] = _probe(endpoint)
    return _UNREACHABLE[endpoint]


def _offline_set() -> bool:
    """Whether offline mode was asked for: ``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` in the environment, or
    the constants the two libraries read from it when imported."""
    import datasets
    from huggingface_hub import constants

    asked = any(
        os.environ.get(v, "").upper() in ("1", "ON", "YES", "TRUE")
        for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )
    return asked or bool(constants.HF_HUB_OFFLINE) or bool(datasets.config.HF_HUB_OFFLINE)


@contextlib.contextmanager
def _hub_offline() -> Iterator[None]:
    """Both libraries in offline mode for one call: their constants, read when each was imported, are what
    they consult (setting the environment variable afterwards would leave them online)."""
    import datasets
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE = before


def load_hf(spec: str, flag: str, split: str = "train", what: str = "data set", split_flag: str = "") -> Any:
    """One split of a saved folder (``FOLDER[#split]``) or a hub data set (``NAME[:CONFIG][#split]``).

    A hub name is loaded as ``datasets.load_dataset`` loads it where the hub endpoint answers a quick probe
    (:data:`HUB_PROBE_TIMEOUT`, once per process) and in offline mode where it does not (or offline mode is
    asked for), so a set in the local HF cache still loads and any other fails at once, naming the endpoint.

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
    from huggingface_hub import constants

    name, _, named = spec.partition("#")
    split = named or split
    folder = Path(name)
    how = f"add #SPLIT or {split_flag}" if split_flag else "add #SPLIT"
    endpoint, why = constants.ENDPOINT, ""
    try:
        if folder.is_dir():
            ds = datasets.load_from_disk(str(folder))
            if isinstance(ds, datasets.DatasetDict):
                if split not in ds:
                    raise TextDataError(
                        f"{named_path(folder, flag)} has splits {', '.join(ds)}, not {split!r}; {how}"
                    )
                ds = ds[split]
        else:
            hub, _, config = name.partition(":")
            offline = _offline_set()
            why = "" if offline else _hub_unreachable(endpoint)
            with _hub_offline() if offline or why else contextlib.nullcontext():
                ds = datasets.load_dataset(hub, config or None, split=split)
            if why:
                logger.warning(
                    "the HF hub %s could not be reached (%s): %s read from the local HF cache",
                    endpoint,
                    why,
                    hub,
                )
    except TextDataError:
        raise
    except Exception as exc:  # datasets raises many types (missing folder files, no network, bad name)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if why:  # not in the cache (the offline hub's ConnectionError), else what the cached copy lacks
            lacks = "" if isinstance(exc, ConnectionError) else f" ({type(exc).__name__}: {first[:120]})"
            raise TextDataError(
                f"{named_path(spec, flag)}: the HF hub {endpoint} could not be reached ({why}), and the local HF cache "
                f"does not give it{lacks}; check the network or proxy (HTTPS_PROXY), set HF_ENDPOINT to a "
                "reachable mirror, or give a local file or a saved folder"
            ) from None
        raise TextDataError(
            f"{named_path(spec, flag)}: cannot load it as an HF datasets {what} ({type(exc).__name__}: {first[:160]}); "
            f"check the folder, or the hub name, config, split{f' ({split_flag})' if split_flag else ''} "
            "and the network, or give a local file"
        ) from None
    return ds


def label_names(ds: Any, column: str) -> list[str] | None:
    """The class names of a ``ClassLabel`` column (index ``i`` is ``names[i]``), else None."""
    feature = getattr(ds, "features", {}).get(column)
    names = getattr(feature, "names", None)
    return list(names) if names else None
