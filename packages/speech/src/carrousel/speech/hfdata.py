"""Hugging Face ``datasets`` audiofolder corpora: a folder of recordings with a metadata file.

The layout is the one of ``load_dataset("audiofolder", data_dir=ROOT)``: recordings anywhere under
``ROOT`` and a ``metadata.csv`` (or ``metadata.jsonl``) next to them whose ``file_name`` column names
each recording relative to the metadata file and another column holds its transcript
(``transcription``, ``text``, ``transcript``, ``sentence`` or ``normalized_text``: the names of
:data:`carrousel.speech.manifests.COLUMNS`), optionally a speaker column (``speaker``, ``speaker_id``,
``client_id``); split folders
(``ROOT/train``, ``ROOT/test``, ...) become splits, chosen with ``audiofolder:ROOT#test``.

The folder is read through ``datasets``'s own audiofolder builder, so its file discovery, metadata
parsing and split rules apply, but no audio is decoded there: the builder's audio feature is replaced
by one that keeps the file's path (``decode=False``), since datasets 5.x encodes and decodes audio
through torchcodec, which this package does not use. The recordings are then read like every other
corpus's, with soundfile. The builder's cache is a temporary folder, removed afterwards.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carrousel.core.option_names import option
from carrousel.speech.errors import CorpusError
from carrousel.speech.manifests import COLUMNS

__all__ = ["is_audiofolder", "read_audiofolder"]

logger = logging.getLogger(__name__)

_METADATA = ("metadata.csv", "metadata.jsonl")


def is_audiofolder(root: Path) -> bool:
    """True when ``root`` is a folder with an audiofolder metadata file (at the top or one level down)."""
    if not root.is_dir():
        return False
    return any((root / m).is_file() for m in _METADATA) or any(
        (sub / m).is_file() for sub in root.iterdir() if sub.is_dir() for m in _METADATA
    )


def _path_audio() -> type:
    import datasets

    @dataclass
    class PathAudio(datasets.Audio):  # type: ignore[misc]
        """The audio feature with ``decode=False`` by default, encoding paths without torchcodec."""

        decode: bool = False

        def encode_example(self, value: Any) -> dict[str, Any]:
            if isinstance(value, str | Path):
                return {"bytes": None, "path": str(value)}
            if isinstance(value, dict):
                return {"bytes": value.get("bytes"), "path": value.get("path")}
            raise CorpusError(f"audiofolder: cannot read an audio value of type {type(value).__name__}")

    return PathAudio


def _unreadable(root: Path, cause: BaseException) -> str:
    """The line for a metadata file the builder could not read: a row longer than the header (an unquoted
    comma in a transcript; before, pandas' "Error tokenizing data. C error: ..." alone) names its fix."""
    where = option("data", f"audiofolder:{root}")
    if found := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(cause)):
        want, line, got = found.groups()
        return (
            f"{where}: metadata.csv line {line} has {got} fields, the header {want}; quote a transcript holding a"
            ' comma ("seven, three")'
        )
    return f"{where}: cannot be read ({cause})"


def read_audiofolder(root: Path, split: str | None = None) -> list[tuple[str, str, str]]:
    """``(audio path, transcript, speaker)`` of every recording of an audiofolder (one split, or all).

    Raises:
        CorpusError: not an audiofolder, no transcript column, an unknown split, or an audio entry that
            is not a file on disk.
    """
    import datasets

    if not is_audiofolder(root):
        raise CorpusError(
            f"{option('data', f'audiofolder:{root}')}: no metadata.csv or metadata.jsonl there; an audiofolder needs one "
            "(columns file_name and transcription)"
        )
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the caller shows its own progress
    with tempfile.TemporaryDirectory(prefix="carrousel-audiofolder-") as cache:
        try:
            builder = datasets.load_dataset_builder("audiofolder", data_dir=str(root), cache_dir=cache)
            builder.BASE_FEATURE = _path_audio()  # this builder only: paths, no torchcodec
            builder.download_and_prepare()
            splits = builder.as_dataset()
        except (datasets.exceptions.DatasetGenerationError, ValueError, FileNotFoundError) as exc:
            raise CorpusError(_unreadable(root, exc.__cause__ or exc)) from None
        finally:
            if bars:
                datasets.enable_progress_bars()
        if split is not None and split not in splits:
            raise CorpusError(f"audiofolder {root} has no split {split!r}; it has {', '.join(splits)}")
        out: list[tuple[str, str, str]] = []
        for name in [split] if split is not None else list(splits):
            table = splits[name]
            column = next((c for c in COLUMNS["transcript"] if c in table.column_names), None)
            if column is None:
                raise CorpusError(
                    f"audiofolder {root} ({name}): no transcript column; name one of {', '.join(COLUMNS['transcript'])} "
                    f"in the metadata (it has {', '.join(table.column_names)})"
                )
            who = next((c for c in COLUMNS["speaker"] if c in table.column_names), None)
            for row in table.select_columns(["audio", column, *([who] if who else [])]):
                path = (row["audio"] or {}).get("path")
                if not path or not Path(path).is_file():
                    raise CorpusError(
                        f"audiofolder {root} ({name}): {path or 'an entry'} is not a file on disk; fix its"
                        " file_name in the metadata, or add the recording"
                    )
                out.append((str(path), str(row[column] or ""), str(row[who] or "") if who else ""))
    logger.info("audiofolder %s: %d recordings", root, len(out))
    return out
