"""Opens of one file that fail with a chosen errno, for the tests of how a command reports an unreadable
input (too many open files, out of memory, an I/O error) without a traceback; and a write that finds the
disk full, for the tests that a failed output leaves the earlier ones in place."""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import pytest

from tests.cli_harness import Outcome, assert_clean_failure

__all__ = ["disk_full", "fail_opens", "names_the_limit"]


def fail_opens(monkeypatch: pytest.MonkeyPatch, target: Path, code: int, skip: int = 0) -> None:
    """Every open of ``target`` (builtins' and io's, which Path.read_bytes and gzip use) fails with ``code``,
    after the first ``skip`` (a limit met once a reader has looked at the file's first bytes)."""
    real_open = builtins.open
    opened = [0]

    def failing_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == os.fspath(target):
            opened[0] += 1
            if opened[0] > skip:
                raise OSError(code, os.strerror(code), os.fspath(target))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", failing_open)
    monkeypatch.setattr(io, "open", failing_open)


def disk_full(*args: object, **kwargs: object) -> None:
    """Stands in for a write (``Figure.savefig``, ``DataFrame.to_csv``...) on a full disk: raises ENOSPC."""
    raise OSError(errno.ENOSPC, "No space left on device")


def names_the_limit(outcome: Outcome, path: Path, fix: str = "check the file") -> None:
    """One 'error:' line, exit 1, naming ``path``, the limit and 'ulimit -n'; the file is not blamed (neither
    "cannot be read" nor the reader's ``fix`` for a bad file)."""
    assert_clean_failure(outcome, 1, "too many open files")
    line = outcome.error_lines()[0]
    assert f"error: {path}: too many open files" in line and "ulimit -n" in line, line
    assert "cannot be read" not in line and fix not in line, line
