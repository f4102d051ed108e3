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
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from carrousel.core.errors import OutputError

__all__ = ["hold_replace", "staged_outputs"]

_Held = list[tuple[Path, Path, Callable[[], object] | None]]
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
    for i, (tmp, target, put) in enumerate(held):
        try:
            if put is None:
                os.replace(tmp, target)
            else:
                put()
        except BaseException as exc:
            _remove(held[i:])
            if isinstance(exc, OSError):
                reason = exc.strerror or type(exc).__name__
                raise OutputError(f"cannot write {target} ({reason}); choose a writable path") from None
            raise


def hold_replace(tmp: Path, target: Path, put: Callable[[], object] | None = None) -> bool:
    """Called by ``atomic_path`` (``atomic_dir``) with its complete temporary file (folder): inside
    :func:`staged_outputs`, keeps it to be put over ``target`` at the block's end (``put()``, default a
    rename) and returns True; outside, returns False (the caller puts it now)."""
    held = _HELD.get()
    if held is None:
        return False
    held.append((tmp, target, put))
    return True


def _remove(held: _Held) -> None:
    for tmp, _, _ in held:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
