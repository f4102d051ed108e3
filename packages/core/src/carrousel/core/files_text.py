"""The reading half of :func:`carrousel.core.files.read_text`: standard input and pipes read once within a
bound, bytes decoded and checked (NUL bytes, line length, only whitespace), and what a failed read raises.

A read that fails because the process or the system ran out of something (open files, memory, space:
:data:`RESOURCE_ERRNOS`) is not the file's fault, so it is not turned into "cannot be read; check the file":
:func:`read_failure` hands the ``OSError`` back as it came, and a CLI's error boundary names the limit and
its fix (:func:`carrousel.core.cli_errors.os_error_text`: ``ulimit -n`` for too many open files).
"""

from __future__ import annotations

import errno
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.encodings import UTF16_BOMS, decode_text, file_lines
from carrousel.core.errors import DataError

__all__ = ["RESOURCE_ERRNOS", "STDIN", "decode_checked", "is_stream", "read_failure", "read_stream"]

STDIN = "-"  # as a path of read_text with ``streams=True``: the process's standard input

_LINE_END = re.compile(r"[\r\n]")  # the end of a line: \n, \r\n (its \r) or \r alone

RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOSPC})
"""``errno`` values of a read that failed for want of a resource of the process or system, not the file's."""


def read_failure(
    exc: OSError,
    where: str,
    fix: str,
    error: Callable[[str], Exception] = DataError,
    *,
    reason: str | None = None,
    sep: str = ": ",
) -> Exception:
    """What to raise for ``exc``, an ``OSError`` met while reading the file named ``where``: the one place
    that tells a resource the process or system ran out of from a failure of the file itself.

    Args:
        exc: the error.
        where: the file as the caller named it (``--csv prices.csv``, ``path='t.txt'``).
        fix: what to check, for the line of any other error (``"check the file"``).
        error: the class (or any callable of one message) of the error for any other ``OSError``: a
            package's own :class:`~carrousel.core.errors.DataError` or other carrousel error.
        reason: what failed, in the parentheses (default: the error's ``strerror``, else its text).
        sep: what comes between ``where`` and ``cannot be read`` (``" "`` for lines worded without the
            colon).

    Returns:
        ``exc`` itself when its ``errno`` is one of :data:`RESOURCE_ERRNOS` (too many open files, out of
        memory: the file is not the cause, and the CLI names the real one); otherwise
        ``error("<where>: cannot be read (<reason>); <fix>")``. Raise it ``from None``.
    """
    if exc.errno in RESOURCE_ERRNOS:
        return exc
    return error(f"{where}{sep}cannot be read ({reason or exc.strerror or exc}); {fix}")


def is_stream(p: Path) -> bool:
    """``-``, or an existing pipe or character device."""
    if str(p) == STDIN:
        return True
    try:
        mode = p.stat().st_mode
    except OSError:
        return False  # check_input_file names the problem
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


@check_args
def read_stream(p: Path, where: str, what: str, max_bytes: int) -> bytes:
    """The bytes of standard input (``-``) or of a pipe, read in 1 MiB blocks within ``max_bytes``.

    Args:
        p: ``-`` or the pipe or character device.
        where: the input as the caller named it, for messages.
        what: what it should hold, for messages.
        max_bytes: the bound on what is read.

    Raises:
        DataError: standard input closed or a terminal, binary data, over ``max_bytes``, empty, or a read
            that failed (except for want of a resource: see :func:`read_failure`).
    """
    if str(p) == STDIN and (sys.stdin is None or sys.stdin.isatty()):
        state = "closed" if sys.stdin is None else "a terminal"  # None: started with <&-
        raise DataError(f"{where}: standard input is {state}; pipe the {what} in (command | ... {where})")
    blocks: list[bytes] = []
    total = 0
    try:
        fh = sys.stdin.buffer if str(p) == STDIN else open(p, "rb")  # noqa: SIM115 (stdin stays open)
        try:
            while block := fh.read(1 << 20):
                if not blocks and not block.startswith(UTF16_BOMS):  # /dev/zero: refused at once
                    _refuse_nul(block, where, what, "binary data")
                total += len(block)
                if total > max_bytes:
                    raise DataError(
                        f"{where} holds over {max_bytes / 2**30:.1f} GiB of {what}; give a smaller input"
                    )
                blocks.append(block)
        finally:
            if fh is not sys.stdin.buffer:
                fh.close()
    except OSError as exc:
        raise read_failure(exc, where, "check the input") from None
    if total == 0:
        raise DataError(f"{where} is empty; give {what} to read")
    return b"".join(blocks)


def _refuse_nul(head: bytes, where: str, what: str, noun: str) -> None:
    """Fails when ``head`` (the input's first bytes) holds a NUL byte: ``noun`` is binary, not text."""
    if b"\x00" in head:
        # "text" or "tagged text (...)" already say it: no "not text text"
        kind = what if "text" in what.split() else f"{what} text"
        raise DataError(f"{where} holds NUL bytes: it is {noun}, not {kind}")


@check_args
def decode_checked(
    raw: bytes,
    where: str,
    what: str,
    max_line: int | None,
    encodings: Iterable[str],
    *,
    blank_ok: bool = False,
) -> str:
    """``raw`` decoded with the first of ``encodings`` that fits, after the NUL and line-length checks; text
    that starts with a UTF-16 byte-order mark (Windows' "Unicode", PowerShell's ``>``) is read as UTF-16.

    Args:
        raw: the bytes read.
        where: the input as the caller named it, for messages.
        what: what it should hold, for messages.
        max_line: when given, a line longer than this many characters is an error.
        encodings: encodings tried in order.
        blank_ok: an empty or whitespace-only input is text too (returned as it is), for a file whose
            emptiness means something (a recording's transcript of silence).

    Raises:
        DataError: NUL bytes, bytes that no encoding decodes, a line over ``max_line``, only whitespace
            (unless ``blank_ok``).
    """
    if raw.startswith(UTF16_BOMS):  # its NUL bytes are the high halves of ASCII letters
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{where} starts as UTF-16 but is not UTF-16 text; convert it to UTF-8") from None
        _refuse_nul(text[: 1 << 20].encode("utf-8", "surrogatepass"), where, what, "a binary file")
    else:
        _refuse_nul(raw[: 1 << 20], where, what, "a binary file")
        text = decode_text(raw, encodings, where)
    if max_line is not None:  # lines as file_lines splits them: an old Mac's CR-only file is many lines
        start = 0
        while start < len(text):
            found = _LINE_END.search(text, start)
            end = len(text) if found is None else found.start()
            if end - start > max_line:
                line = len(file_lines(text[:start])) + 1
                raise DataError(
                    f"{where}: line {line} is over {max_line:,} characters; is this really {what}?"
                )
            start = end + 1
    if not blank_ok and not text.strip():
        raise DataError(f"{where} holds only whitespace; give a {what} file with data")
    return text
