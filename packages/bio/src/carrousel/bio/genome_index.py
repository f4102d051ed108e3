"""A genome FASTA's samtools ``.fai`` index (and a BGZF file's ``.gzi``) opened or built through pyfaidx,
for :class:`carrousel.bio.genome.Genome`: an index is built under a temporary name and renamed into place,
so an interrupted build never leaves a partial one; pyfaidx's errors become one line naming the file, except an
``OSError`` of a resource the process or system ran out of (``RESOURCE_ERRNOS`` of
:mod:`carrousel.core.files_text`), which goes on as it came, for the CLI's line naming the limit."""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from carrousel.bio.errors import FastaFormatError
from carrousel.core.args import check_args
from carrousel.core.files_text import RESOURCE_ERRNOS

__all__ = ["StaleIndexError", "UnindexableError", "build_faidx", "open_faidx"]

logger = logging.getLogger("carrousel.bio.genome")  # where the index's messages have always come from


class UnindexableError(Exception):
    """pyfaidx cannot index the file (uneven line lengths, text that is not FASTA)."""


class StaleIndexError(Exception):
    """An existing index does not fit the file."""


@check_args
def open_faidx(p: Path, fai: Path, gzi: Path, build: bool) -> Any:
    """A pyfaidx reader of ``p`` with its index at ``fai`` (and ``gzi``), built there when ``build``."""
    import pyfaidx

    try:
        return pyfaidx.Faidx(
            str(p),
            indexname=str(fai),
            gzi_indexname=str(gzi),
            as_raw=True,
            strict_bounds=True,
            rebuild=build,
            build_index=build,
        )
    except pyfaidx.FastaIndexingError as exc:
        raise UnindexableError(str(exc).strip().rstrip(".")) from None
    except UnicodeDecodeError:
        raise UnindexableError("bytes that are not text") from None
    except ValueError as exc:  # read_fai: two records of one name, or a malformed index line
        if str(exc).startswith("Duplicate key"):
            name = str(exc).removeprefix("Duplicate key").strip()
            raise FastaFormatError(
                f"{p}: duplicate record name {name}; names must be unique (rename one)"
            ) from None
        if not build:
            raise StaleIndexError(fai) from None
        raise FastaFormatError(f"{p}: cannot be indexed ({exc}); check the file") from None
    except pyfaidx.UnsupportedCompressionFormat:
        raise FastaFormatError(f"{p} is not BGZF; decompress it or compress it with `bgzip`") from None
    except OSError as exc:
        if (ran_out := _ran_out(exc)) is not None:  # not the file's fault nor a stale index: the CLI's
            raise ran_out from None  # error boundary names the limit and its fix
        if not build:
            raise StaleIndexError(fai) from None
        raise FastaFormatError(f"{p}: cannot be indexed ({exc}); check the file") from None


def _ran_out(exc: BaseException) -> OSError | None:
    """The ``OSError`` of a resource the process or system ran out of (too many open files, no space left)
    in ``exc`` or the errors it was raised from, else None: pyfaidx raises its own ``IOError`` with no
    ``errno`` ("Cannot read FASTA from file", "may not be writable") while handling the real one."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain is short; the bound only guards against a cycle
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno in RESOURCE_ERRNOS:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@check_args
def build_faidx(p: Path, fai: Path, gzi: Path, bgzf: bool) -> Any:
    """Builds the index of ``p`` under temporary names in ``fai``'s folder, then renames it into place."""
    tag = f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    tmp_fai, tmp_gzi = fai.with_name(fai.name + tag), gzi.with_name(gzi.name + tag)
    t0 = time.perf_counter()
    try:
        faidx = open_faidx(p, tmp_fai, tmp_gzi, build=True)
        os.replace(tmp_fai, fai)
        if bgzf:
            os.replace(tmp_gzi, gzi)
    finally:
        for tmp in (tmp_fai, tmp_gzi):
            tmp.unlink(missing_ok=True)
    logger.info("indexed %s (%d records) in %.1f s: %s", p, len(faidx.index), time.perf_counter() - t0, fai)
    return faidx
