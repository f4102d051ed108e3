"""Several output files of one command put in place together, or none of them.

A command that writes two files (hits and a chart, forecasts and a chart) writes each atomically
(:func:`carrousel.core.atomic.atomic_path`), but the first was renamed over its earlier version before
the second was written: a full disk or Ctrl-C at the second left a new first file beside an old second
one, the earlier output half replaced. Inside :func:`staged_outputs` every file written by
``atomic_path`` stays complete under its temporary name (fsynced, beside its target), and every folder
written by ``atomic_dir`` under its own; all are put in place when the block ends without error. When it
raises (``OSError(ENOSPC)``, ``KeyboardInterrupt``) they are removed and every earlier output is left as
it was. Writes into a special file or this process's stdout are not held back (they cannot be taken
back); a file read back inside the block is read at its target, so the block holds the writes alone.
Torch-free.
"""

from __future__ import annotations

import contextlib
import contextvars
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["put_or_hold", "staged_outputs"]

_Held = list[tuple[Path, Callable[[], object]]]
_HELD: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("carrousel_staged_outputs", default=None)


@contextlib.contextmanager
def staged_outputs() -> Iterator[None]:
    """Within the block, the files :func:`~carrousel.core.atomic.atomic_path` (and folders ``atomic_dir``)
    completes are put in place only when the whole block succeeds; none when it raises (the earlier ones
    are kept).

    A block inside another joins it: its files wait for the outer block's end.
    """
    if _HELD.get() is not None:
        yield
        return
    held: _Held = []
    token = _HELD.set(held)
    try:
        yield
    except BaseException:
        _remove(held)
        raise
    finally:
        _HELD.reset(token)
    for i, (_, put) in enumerate(held):
        try:
            put()  # raises OutputError naming its target (atomic_path's and atomic_dir's own messages)
        except BaseException:
            _remove(held[i:])
            raise


def put_or_hold(tmp: Path, put: Callable[[], object]) -> None:
    """Called by ``atomic_path`` (``atomic_dir``) with its complete temporary file (folder) and ``put``,
    which puts it over its target (the rename, its error message, the parent folder's fsync): calls it now,
    or inside :func:`staged_outputs` keeps it to be called at the block's end."""
    held = _HELD.get()
    if held is None:
        put()
    else:
        held.append((tmp, put))


def _remove(held: _Held) -> None:
    for tmp, _ in held:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
