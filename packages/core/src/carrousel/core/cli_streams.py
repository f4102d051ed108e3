"""The standard streams a command line starts with, made safe before the command runs.

A shell can start a command with a standard stream closed (``cmd >&-``, ``2>&-``, ``<&-``) or in a locale
whose encoding is ASCII (``LC_ALL=C`` with ``PYTHONUTF8=0 PYTHONCOERCECLOCALE=0``, or a Latin-1 locale).
:func:`prepare_streams` (called by :func:`carrousel.core.cli_start.launch` and
:func:`carrousel.core.cli.run`) handles both:

- a closed descriptor 0, 1 or 2 is held by ``/dev/null``, so the next file the command opens cannot take
  its number (a child process, or C code writing to ``stdout``, would write into that file). Descriptor 1
  is opened read-only: a write to it (``-o /dev/stdout``) fails as it would on the closed stream. A closed
  stdout becomes a stream whose first write is one ``error:`` line (exit 1: the results have nowhere to go);
  a closed stderr discards the logs and errors (the exit code still tells the outcome). Every command
  prints its results or a summary on stdout, so the CLI entry points refuse a closed stdout before the
  command runs (:func:`carrousel.core.cli_start.refuse_closed_stdout`): no work, no file written.
- text that the locale cannot encode never ends a command with ``UnicodeEncodeError``: on stdout a
  character outside the encoding is written as ``?``, and a byte of a file name that was not valid in the
  locale (Python's surrogate escapes) is written back as that byte.

Standard library only (see :mod:`carrousel.core.cli_start`).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator

from carrousel.core.atomic import stdout_name
from carrousel.core.errors import OutputError

__all__ = ["CLOSED_STDOUT", "ClosedOutput", "names_stdout", "prepare_streams", "writing_stdout"]

CLOSED_STDOUT = (
    "standard output is closed, so the results cannot be printed; "
    "give the command an open stdout (> FILE, a pipe, or > /dev/null to discard them)"
)

_ERRORS = "carrousel.replace"


def _replace(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Encoding error handler: surrogate escapes back to their byte, any other character to ``?``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = bytearray()
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else b"?"
    return bytes(out), exc.end


codecs.register_error(_ERRORS, _replace)


class ClosedOutput(io.TextIOBase):
    """``sys.stdout`` when the command started with descriptor 1 closed: writing text to it raises
    :class:`~carrousel.core.errors.OutputError` (one ``error:`` line, exit 1), writing nothing succeeds."""

    encoding = "utf-8"
    errors = "strict"

    def writable(self) -> bool:
        """True: the command may try; the first non-empty write fails."""
        return True

    def write(self, s: str) -> int:
        """Refuses any text.

        Raises:
            OutputError: when ``s`` is not empty.
        """
        if s:
            raise OutputError(CLOSED_STDOUT)
        return 0


def names_stdout(path: str | os.PathLike[str] | None) -> bool:
    """Whether an output option's value means this process's stdout: the one rule of every command's file
    options (``--out``, ``--plot``...). ``-`` as given (the string ``./-`` is a file of that name; a CLI's
    ``Path`` reads both as ``-``), a name of descriptor 1 (``/dev/stdout``, ``/dev/fd/1``,
    ``/proc/self/fd/1``, ``/proc/thread-self/fd/1``, a link to one), or the very file or pipe that stdout
    is (``-o f.txt > f.txt``). With stdout closed at start (descriptor 1 held by ``/dev/null``, see
    :func:`prepare_streams`) only those names count: ``-o /dev/null`` then discards, it is not stdout."""
    if path is None:
        return False
    if stdout_name(path):
        return True
    if isinstance(sys.stdout, ClosedOutput):
        return False
    try:
        return os.path.samestat(os.stat(path), os.fstat(1))
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def writing_stdout() -> Iterator[None]:
    """Around a write to stdout: an ``OSError`` there (``ENOSPC`` from ``> /dev/full`` or a full disk,
    ``EIO``) becomes an :class:`~carrousel.core.errors.OutputError` that names standard output, since the
    error itself names no file. A closed pipe (``BrokenPipeError``) is left to the CLI's quiet ending.

    Raises:
        OutputError: stdout could not be written.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        if isinstance(exc, OutputError) or exc.filename is not None:
            raise
        raise OutputError(
            f"cannot write standard output ({exc.strerror or exc}); "
            "send it to a writable file with free space, or to a pipe"
        ) from None


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError as exc:
        return exc.errno == errno.EBADF
    return False


def _hold(fd: int, flags: int) -> None:
    """Opens ``/dev/null`` on the closed descriptor ``fd`` (the lowest free number is ``fd`` itself when
    the lower ones are held, which the caller ensures by going 0, 1, 2)."""
    new = os.open(os.devnull, flags)
    if new != fd:
        os.dup2(new, fd)
        os.close(new)


def _tolerate_encoding(stream: object) -> None:
    """Sets the error handler of ``stream`` (a text file) to :func:`_replace` when its encoding is not a
    Unicode one (ASCII, Latin-1...): ``UnicodeEncodeError`` can then no longer end a command."""
    if not isinstance(stream, io.TextIOWrapper):
        return
    try:
        if codecs.lookup(stream.encoding).name.startswith("utf"):
            return
        stream.reconfigure(errors=_ERRORS)
    except (LookupError, ValueError, OSError):  # unknown codec, a closed or failing stream
        return


def prepare_streams() -> None:
    """Holds closed standard descriptors with ``/dev/null``, gives a closed stdout a :class:`ClosedOutput`
    and a closed stderr ``/dev/null``, and makes stdout tolerant of an ASCII locale. Idempotent."""
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_RDONLY), (2, os.O_WRONLY)):
        if _closed(fd):
            with contextlib.suppress(OSError):
                _hold(fd, flags)
    if sys.stdout is None:
        sys.stdout = ClosedOutput()
    if sys.stderr is None:
        with contextlib.suppress(OSError):
            sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    _tolerate_encoding(sys.stdout)
