"""Checks on the files a command reads and writes, made at the edge, before any work.

Every check raises a :class:`~carrousel.core.errors.CarrouselError` with one line that names the path,
the option it came from and the fix. Inputs must be regular files (a FIFO with no writer would hang, a
device such as ``/dev/zero`` never ends), readable, non-empty and within a size bound; gzip input is
read through :func:`read_text`, which turns a truncated or corrupt archive and undecodable bytes into
:class:`~carrousel.core.errors.DataError`. Outputs must be creatable: their folder writable, not a folder
in the way of a file (or the reverse). Special output files (``/dev/null``, ``/dev/stdout``, FIFOs) are
allowed: :mod:`carrousel.core.io` writes them in place. A read that fails for want of open files or memory
is no fault of the file: its ``OSError`` goes on as it came (:mod:`carrousel.core.files_text`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import secrets
import stat
import zlib
from collections.abc import Iterable
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.atomic import refuse_stream_dir, writes_in_place
from carrousel.core.errors import CarrouselError, ConfigError, DataError
from carrousel.core.files_text import decode_checked, is_stream, read_failure, read_stream
from carrousel.core.option_names import named_path, option
from carrousel.core.paths import is_gzip, user_path
from carrousel.core.text import with_article

__all__ = [
    "DEFAULT_MAX_BYTES",
    "check_input_file",
    "check_output_dir",
    "check_output_file",
    "check_spares",
    "creatable_in",
    "read_text",
    "refuse_other_files",
]

DEFAULT_MAX_BYTES = 8 << 30  # 8 GiB: larger inputs are refused unless a caller raises the bound

logger = logging.getLogger(__name__)


def _not_folder_kind(path: Path) -> str:
    """What an existing path that is not a folder is, for a message: "a FIFO (named pipe)", "a socket",
    "a device" or "a file"."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a file"


@check_args
def check_input_file(
    path: str | Path,
    flag: str | None = None,
    what: str = "input",
    max_bytes: int = DEFAULT_MAX_BYTES,
    empty_ok: bool = False,
) -> Path:
    """Fails unless ``path`` is a readable, non-empty (unless ``empty_ok``) regular file of at most
    ``max_bytes``.

    Args:
        path: the file.
        flag: the option or argument that named it (``"--csv"``), for the message.
        what: what the file should hold (``"FASTA"``, ``"CSV"``), for the message.
        max_bytes: the size bound.
        empty_ok: accept an empty file (a settings file with no settings).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        DataError: naming the problem (missing, a folder, a device or FIFO, unreadable, empty, too large).
        OSError: as it came, where the process or system ran out of a resource (too many open files,
            memory: :func:`~carrousel.core.files_text.read_failure`); the file is not the cause.
    """
    p = Path(path)
    where = named_path(p, flag)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError(f"{where} not found; check the path") from None
    except OSError as exc:
        raise read_failure(exc, where, "check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(_folder_message(where, p, what))
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or special file"
        raise DataError(f"{where} is {kind}, not a regular {what} file; save the data to a file first")
    if not os.access(p, os.R_OK):
        raise DataError(f"{where}: permission denied; make the file readable")
    if st.st_size == 0 and not empty_ok:
        raise DataError(f"{where} is empty; give a {what} file with data")
    if st.st_size > max_bytes:
        raise DataError(
            f"{where} is {st.st_size / 2**30:.1f} GiB, over the {max_bytes / 2**30:.1f} GiB limit for {what}; "
            "split it or give a smaller file"
        )
    return p


def _folder_message(where: str, p: Path, what: str) -> str:
    """A folder given for a file: what it holds (its one file, or the count and first three plain files, not
    hidden ones) and the fix. Before, every folder was told "give the file inside it", one of many too."""
    try:
        with os.scandir(p) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_file())
    except OSError:
        names = []
    if not names:
        return f"{where} is a folder, not a {what} file; give the path of a {what} file"
    if len(names) == 1:
        return f"{where} is a folder, not a {what} file; give the file inside it, {p / names[0]}"
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return (
        f"{where} is a folder of {len(names)} files ({shown}), not a {what} file; give a file by its path, "
        f"e.g. {p / names[0]}"
    )


@check_args
def read_text(
    path: str | Path,
    flag: str | None = None,
    what: str = "input",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line: int | None = None,
    encodings: Iterable[str] = ("utf-8-sig",),
    streams: bool = False,
) -> str:
    """Reads a text file (gzip-compressed when it ends in ``.gz``, in any case) after :func:`check_input_file`.

    With ``streams``, ``-`` is standard input and a pipe or character device (``/dev/stdin``, a shell's
    ``<(command)``) is read once as it comes, within ``max_bytes``: for inputs read in one pass (texts, one
    per line), never for those read twice.

    Args:
        path: the file.
        flag: the option that named it, for messages.
        what: what the file should hold, for messages.
        max_bytes: bound on the file size and on the decompressed size.
        max_line: when given, a line longer than this many characters is an error (a binary file or a
            file without newlines is refused before it is parsed).
        encodings: encodings tried in order (text with a UTF-16 byte-order mark is read as UTF-16).
        streams: accept ``-`` (standard input), pipes and character devices.

    Returns:
        The decoded text.

    Raises:
        DataError: the checks of :func:`check_input_file`, a truncated or corrupt gzip archive, bytes
            that are not text in any of ``encodings``, NUL bytes, or a line over ``max_line``.
        OSError: as it came, where the process or system ran out of a resource (too many open files,
            memory: :func:`~carrousel.core.files_text.read_failure`).
    """
    path = user_path(path)  # a Python caller's "~/texts.txt" (the checks below take paths as given)
    if streams and is_stream(path):
        where = named_path(path, flag)
        raw = read_stream(path, where, what, max_bytes)
        return decode_checked(raw, where, what, max_line, encodings)
    p = check_input_file(path, flag, what, max_bytes)
    where = named_path(p, flag)
    try:
        if is_gzip(p):
            with gzip.open(p, "rb") as fh:
                raw = fh.read(max_bytes + 1)
            if len(raw) > max_bytes:
                raise DataError(
                    f"{where} decompresses to over {max_bytes / 2**30:.1f} GiB; give a smaller file"
                )
        else:
            raw = p.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{where} is a damaged gzip file ({exc}); download or compress it again") from None
    except OSError as exc:
        raise read_failure(exc, where, "check the file") from None
    return decode_checked(raw, where, what, max_line, encodings)


def check_output_file(
    path: str | Path, flag: str | None = None, suffixes: Iterable[str] = (), inputs: Iterable[str | Path] = ()
) -> Path:
    """Fails before any work when ``path`` cannot be written as a file, or would replace an input; returns
    it as a Path, ``~`` expanded as :mod:`carrousel.core.atomic`'s writers expand it.

    A special file (``/dev/null``, ``/dev/stdout``, a FIFO) is accepted: it is written in place.

    Args:
        path: the output file.
        flag: the option that named it, for the message (``option("out")``, shown as
            :func:`~carrousel.core.option_names.named_path` shows it).
        suffixes: allowed file name endings (``(".png",)``); empty allows any.
        inputs: the files the command reads; the output must be none of them.

    Raises:
        ConfigError: a folder is in the way, the suffix is not allowed, no writable folder holds it, or it
            is one of ``inputs`` (writing it would destroy the data being read).
    """
    p = user_path(path)
    where = named_path(p, flag)
    for source in inputs:
        if p.is_file() and (src := user_path(source)).is_file() and os.path.samefile(p, src):
            raise ConfigError(f"{where} is the input file {source}; write the output to another file")
    allowed = tuple(s.lower() for s in suffixes)
    if p.is_dir():
        raise ConfigError(f"{where} is a folder; give a file name inside it")
    if writes_in_place(p):
        return p  # device, FIFO, /dev/stdout (even redirected to a file): written in place
    if allowed and not p.name.lower().endswith(allowed):
        raise ConfigError(f"{where}: the file name must end in {' or '.join(allowed)}")
    _writable_parent(p.parent, where)
    return p


def check_output_dir(
    path: str | Path,
    flag: str | None = None,
    marker: str | None = None,
    error: type[CarrouselError] = ConfigError,
    kind: str | None = None,
) -> Path:
    """Fails before any work when ``path`` can neither be used nor created as a writable folder; returns it
    as a Path, ``~`` expanded as :func:`~carrousel.core.atomic.atomic_dir` expands it.

    Args:
        path: the folder a run writes as a whole (replacing what is there).
        flag: the option that named it, for the message (``option("out")``, shown as
            :func:`~carrousel.core.option_names.named_path` shows it).
        marker: a file that every earlier output of the command holds (``bundle.json``): an existing
            folder with files but without it is refused, as its content would be replaced.
        error: the class raised for a path that cannot be used (a caller's own subclass of CarrouselError).
        kind: the kind the command writes (``"nlp.sentiment"``; with ``marker``): an earlier output whose
            ``marker`` names another kind (someone's bio model under ``nlp sentiment train``), or none (a
            damaged one), is refused.

    Raises:
        ConfigError: ``path`` names standard output (``-``, ``/dev/stdout``...), which cannot hold a folder.
        error: ``path`` is a file, a folder of other files (with ``marker``), an output of another kind or
            a damaged ``marker`` (with ``kind``), or its nearest existing ancestor is not a writable folder.
    """
    p = user_path(path)
    where = named_path(p, flag)
    refuse_stream_dir(path, flag)
    if p.exists() and not p.is_dir():
        raise error(f"{where} is {_not_folder_kind(p)}, not a folder; give a folder path")
    if marker:
        refuse_other_files(p, flag, marker, error, kind)
    _writable_parent(p if p.exists() else p.parent, where, error)
    return p


def refuse_other_files(
    path: str | Path,
    flag: str | None,
    marker: str,
    error: type[CarrouselError] = ConfigError,
    kind: str | None = None,
) -> None:
    """Fails when ``path`` is a folder with files but no ``marker``, or (with ``kind``) one whose ``marker``
    names another kind: not an earlier output of the command, so writing it as a whole would replace
    someone's files (a trained model of another domain). The one check (and wording) of every command that
    writes a folder as a whole (a bundle, a run folder, a discover folder); :meth:`Bundle.save
    <carrousel.core.bundle.Bundle.save>` makes it too.

    Args:
        path: the folder to be written as a whole.
        flag: the option that named it, for the message (``option("out")``, shown as
            :func:`~carrousel.core.option_names.named_path` shows it).
        marker: a file that every earlier output holds (``bundle.json``, ``run.json``).
        error: the class raised (a caller's own subclass of CarrouselError).
        kind: the kind the command writes; a ``marker`` (JSON) whose ``"kind"`` differs is refused, and so
            is one that names none (not JSON, unreadable, no ``"kind"``): a damaged manifest is no sign that
            the folder is an earlier output (was taken for one, and replaced). Without ``kind`` the
            ``marker``'s presence is enough, as before.

    Raises:
        error: naming the folder, what it holds and the fix.
    """
    p = user_path(path)
    if not p.is_dir():
        return
    if not (p / marker).is_file():
        if any(p.iterdir()):
            raise error(
                f"{named_path(p, flag)} holds files but no {marker}, so it is not an earlier output and its "
                "content would be replaced; give a new or empty folder"
            )
        return
    if not kind:
        return
    held, damage = _held_kind(p / marker)
    if held is None:  # damaged: nothing says the folder is an earlier output of this command
        raise error(
            f"{named_path(p, flag)} holds a {marker} that is damaged ({damage}), so it may be no earlier "
            "output and writing there would replace it; give another folder, or remove that one first"
        )
    if held != kind:
        raise error(
            f"{named_path(p, flag)} holds {with_article(held)} model, not {with_article(kind)} one, and writing "
            "there would replace it; give another folder, or remove that one first"
        )


def _held_kind(manifest: Path) -> tuple[str | None, str]:
    """The ``"kind"`` that the JSON file ``manifest`` records and ``""``, or None and why it records none
    (``"not JSON"``, ``"names no kind"``, ``"unreadable: Permission denied"``)."""
    try:
        raw = manifest.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    try:
        doc = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        return None, "not JSON"
    held = doc.get("kind") if isinstance(doc, dict) else None
    return (held, "") if isinstance(held, str) and held.strip() else (None, "names no kind")


def _writable_parent(folder: Path, where: str, error: type[CarrouselError] = ConfigError) -> None:
    probe = folder if str(folder) else Path(".")
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise error(f"{where}: {probe} is a file, so the output cannot be created there; change the path")
    problem = creatable_in(probe)
    if problem:
        raise error(f"{where}: cannot create or write in {probe} ({problem}); choose a writable folder")


def creatable_in(folder: str | Path) -> str | None:
    """Why no file can be created in the existing folder ``folder``, or None when one can.

    Root passes :func:`os.access` everywhere, so past it the folder's file system is asked (read-only
    mount) and then a uniquely named empty file is created and removed at once: sysfs and procfs (``/sys``,
    ``/proc``) are writable mounts where no regular file can be created.

    Returns:
        None, or the reason (``"read-only"``, ``"Permission denied"``, ``"No such file or directory"``).
    """
    if not os.access(folder, os.W_OK | os.X_OK):
        return "read-only"
    with contextlib.suppress(OSError):  # on failure the probe below answers
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    probe = os.path.join(folder, f".carrousel-probe-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None  # a file of that name was created there: files can be
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def check_spares(
    out: str | Path, source: str | Path, flag: str | None = None, what: str = "the model"
) -> None:
    """Fails before any work when writing the folder ``out`` as a whole would replace ``source``, the
    folder being read (``out`` is that folder or one holding it): the output would destroy its input.
    ``flag``: the option that named ``out`` (None: ``option("out")``, ``out=`` or ``--out``).

    Raises:
        ConfigError: naming both paths.
    """
    try:
        o, s = Path(out).resolve(), Path(source).resolve()
    except (OSError, RuntimeError):
        return
    if o == s or o in s.parents:
        where = named_path(out, flag or option("out"))
        raise ConfigError(f"{where} would replace {what} it reads ({source}); write to another folder")
