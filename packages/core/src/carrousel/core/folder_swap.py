"""Putting a complete new folder in the place of an old one with no moment where neither is there.

:func:`carrousel.core.atomic.atomic_dir` builds a folder under a temporary name; :func:`replace_folder`
then moves it to its target. An existing target is swapped with it in one step (Linux's
``renameat2(RENAME_EXCHANGE)``): a reader finds the old folder or the new one, never no folder, and a
run killed at that moment leaves the target whole (the old folder, under the hidden temporary name, is
swept by the next writer). Where the exchange is not available the old folder is first moved aside and
is put back if the second rename fails or is interrupted (Ctrl-C). Torch-free.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from carrousel.core.bundle_pins import forget

__all__ = ["exchange", "replace_folder"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}


def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # glibc >= 2.28
    except OSError:
        return None


_SYSCALL = {"fn": _renameat2()}


def exchange(a: str | Path, b: str | Path) -> bool:
    """Swaps the two existing paths ``a`` and ``b`` in one atomic step.

    Returns:
        True when swapped; False when the system or file system has no atomic exchange (nothing moved).

    Raises:
        OSError: any other failure (a path missing, no permission); nothing moved.
    """
    fn = _SYSCALL["fn"]
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_folder(tmp: Path, target: Path, old_prefix: str) -> None:
    """Moves the complete folder ``tmp`` to ``target``, whose old folder (if any) is swapped out and removed.

    Args:
        tmp: the new folder, next to ``target`` (same file system).
        target: where it goes: absent, an empty folder or a folder to replace.
        old_prefix: name prefix of the hidden folder the old one is moved to when no exchange exists.

    Raises:
        OSError: the move failed; ``target`` is as it was (or a concurrent writer's complete folder).
    """
    try:
        _move(tmp, target, old_prefix)
    finally:
        forget(target)  # what this command read of the old folder is not read again (bundle_pins)


def _move(tmp: Path, target: Path, old_prefix: str) -> None:
    try:
        os.rename(tmp, target)  # a new target, or an empty folder
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    if exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = Path(tempfile.mkdtemp(prefix=old_prefix, suffix=".old", dir=target.parent))
    try:
        os.replace(target, old / "x")
        try:
            os.replace(tmp, target)
        except BaseException:  # Ctrl-C between the renames included: the old folder goes back
            if not target.exists():
                os.replace(old / "x", target)
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
