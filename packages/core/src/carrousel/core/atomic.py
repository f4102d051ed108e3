"""Atomic file writes: a file or folder holds its old content or the complete new one, never a mixture.

Regular files are written to a temporary name in the same folder (mode from the umask, or the replaced
file's), fsynced and renamed over the target; special files (devices, FIFOs, ``/dev/stdout``) are written in
place, never replaced. Temporary names carry the writer's pid, so the next writer sweeps what a killed one
left. Inside :func:`discarding_writes` (the CLI helper's non-zero ``torchrun`` ranks) every writer gets a
scratch file or folder that is deleted afterwards, and the target is left to rank zero. Torch-free: the
CLI helper and every output writer use it.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.errors import CarrouselError, ConfigError, OutputError
from carrousel.core.folder_swap import replace_folder
from carrousel.core.output_stage import put_or_hold
from carrousel.core.paths import user_path

__all__ = [
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "discarding_writes",
    "is_special",
    "own_descriptor",
    "refuse_stream_dir",
    "stdout_name",
    "umask_mode",
    "writes_discarded",
    "writes_in_place",
]


_DISCARD = {"on": False}  # every write of this process goes to a scratch file (see discarding_writes)


@contextlib.contextmanager
def discarding_writes() -> Iterator[None]:
    """Within the body, :func:`atomic_path` and :func:`atomic_dir` yield a scratch file or folder in the
    temporary directory that is deleted afterwards: the target (file, folder, ``/dev/stdout``) is untouched.

    For the processes of a ``torchrun`` launch other than rank zero, which run the same command to the
    same output paths: one writer, no race on the files.
    """
    before, _DISCARD["on"] = _DISCARD["on"], True
    try:
        yield
    finally:
        _DISCARD["on"] = before


def writes_discarded() -> bool:
    """True inside :func:`discarding_writes`: nothing this process writes will be kept."""
    return _DISCARD["on"]


@contextlib.contextmanager
def _scratch(folder: bool) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="carrousel-discarded."))
    try:
        yield tmp if folder else tmp / "file"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@check_args
def umask_mode(base: int = 0o666) -> int:
    """``base`` with the process umask applied: the mode a plain ``open(path, "w")`` would create."""
    with _UMASK_LOCK:
        mask = os.umask(0)
        os.umask(mask)
    return base & ~mask


_UMASK_LOCK = threading.Lock()


def is_special(path: str | Path) -> bool:
    """True when ``path`` exists and is neither a regular file nor a folder (a device, FIFO or socket).

    Such paths (``/dev/null``, ``/dev/stdout``, a named pipe) are written in place, never replaced.
    """
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


_FD_PATH = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)")
_STD_PATHS = {"/dev/stdout": 1, "/dev/stderr": 2}


def own_descriptor(path: str | os.PathLike[str]) -> int | None:
    """The descriptor of this process that ``path`` names (``/dev/stdout``, ``/dev/fd/N``,
    ``/proc/self/fd/N``, or a link to one), else None."""
    p = os.path.abspath(path)
    for _ in range(16):
        if p in _STD_PATHS:
            return _STD_PATHS[p]
        m = _FD_PATH.fullmatch(p)
        if m and (
            p.startswith(("/dev/", "/proc/self/", "/proc/thread-self/"))
            or p.split("/")[2] == str(os.getpid())
        ):
            return int(m.group(1))
        if not os.path.islink(p):
            return None
        try:
            p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
        except OSError:
            return None
    return None


def stdout_name(path: str | os.PathLike[str]) -> bool:
    """``-`` as given (not ``./-``) or a name of descriptor 1 (``/dev/stdout``, ``/dev/fd/1``, a link to one):
    the name half of :func:`~carrousel.core.cli_streams.names_stdout`, which folders refuse too."""
    return os.fspath(path) == "-" or own_descriptor(path) == 1


def writes_in_place(path: str | Path) -> bool:
    """True when :func:`atomic_path` writes ``path`` in place rather than replacing it: a special file
    (device, FIFO, socket) or a descriptor of this process such as ``/dev/stdout`` (also when the shell
    redirected it to a regular file: its content and offset are the shell's, so it is appended to)."""
    return is_special(path) or own_descriptor(path) is not None


@contextlib.contextmanager
def _in_place(path: str | Path, fd: int | None) -> Iterator[Path]:
    """A temporary file (a writer may seek in it: PNG, Parquet) whose bytes go, once complete, to the
    special file ``path`` or to this process's descriptor ``fd`` (at its own offset, keeping the shell's
    ``>`` or ``>>``), after this process's buffered stdout and stderr; nothing is written on failure."""
    try:
        if fd is not None:
            os.fstat(fd)
        handle, tmp_name = tempfile.mkstemp(prefix="carrousel-out.", suffix=".tmp")
        os.close(handle)
    except OSError as exc:
        raise _cannot_write(Path(path), exc) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        _flush_std()
        try:
            sink = fd if fd is not None else os.open(path, os.O_WRONLY)
            try:
                with open(tmp, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        view = memoryview(chunk)
                        while view:
                            view = view[os.write(sink, view) :]
            finally:
                if sink != fd:
                    os.close(sink)
        except BrokenPipeError:
            raise  # the reader left: the CLI ends quietly when it was stdout's
        except OSError as exc:
            raise _cannot_write(Path(path), exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _temp_prefix(target: Path) -> str:
    """Temporary names carry the writer's pid: ``.NAME.PID.xxxx.tmp``, so leftovers can be told apart."""
    return f".{target.name}.{os.getpid()}."


def _sweep_stale(target: Path) -> None:
    """Removes temporaries of ``target`` left by writers that died (SIGKILL, power loss).

    Only names of the form ``.NAME.PID.*.tmp`` / ``.old`` whose process no longer exists are removed, so a
    concurrent live writer keeps its temporary file.
    """
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith((".tmp", ".old"))):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _cannot_write(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or exc.__class__.__name__
    return OutputError(f"cannot write {target} ({reason}); choose a writable path with free space")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path next to ``path``; on success renames it over ``path`` atomically.

    The temporary file is fsynced before the rename and removed if the body raises (Ctrl-C included), so
    ``path`` holds either the old content or the complete new content, never a mixture. The new file
    gets the mode of the file it replaces, or the umask's mode (``0o666 & ~umask``) when it is new.
    A symbolic link is followed (its target is replaced, the link stays). A special file (device, FIFO)
    or a descriptor of this process (``/dev/stdout``, also when redirected to a regular file) is never
    replaced: the temporary file's bytes are written into it once the body succeeded.

    Raises:
        OutputError: when ``path`` is a folder, or its folder cannot be created or written (the message
            names ``path``, not the temporary file).
    """
    if _DISCARD["on"]:
        with _scratch(folder=False) as tmp:
            yield tmp
        return
    path = user_path(path)
    fd = own_descriptor(path)  # /dev/stdout (on a pipe, or redirected to a file: never replaced), /dev/fd/N
    if fd is not None or is_special(path):  # checked on the path as given (a link target: pipe:[N])
        with _in_place(path, fd) as tmp:
            yield tmp
        return
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    if target.is_dir():
        raise OutputError(f"{target} is a folder; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target)
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    tmp = Path(tmp_name)
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            mode = umask_mode()
        os.chmod(tmp, mode)
        yield tmp
        try:
            with open(tmp, "rb+") as fh:
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        put_or_hold(tmp, functools.partial(_put, tmp, target, False))  # staged_outputs: held
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if (
            isinstance(exc, OSError)
            and not isinstance(exc, CarrouselError)
            and exc.filename in (None, str(tmp))
            and exc.errno is not None
        ):  # e.g. ENOSPC while writing the temporary file
            raise _cannot_write(target, exc) from exc
        raise


@check_args
def refuse_stream_dir(path: str | Path, flag: str | None = None, is_stdout: bool = False) -> None:
    """Fails when ``path``, the name of an output folder, names standard output (``-``, ``/dev/stdout``,
    ``/dev/fd/1``, ``/proc/self/fd/1``, a link to one; ``is_stdout``: the caller found it is the file stdout
    goes to, ``-o f > f``, by :func:`~carrousel.core.cli_streams.names_stdout`): stdout cannot hold a folder,
    and taking ``-`` literally would create a folder named ``-``. One message, whatever stdout is.

    Raises:
        ConfigError: naming the option and what to give instead.
    """
    if is_stdout or stdout_name(path):
        raise ConfigError(
            f"{flag or 'the output'} writes a folder, and standard output ('{os.fspath(path)}') cannot hold "
            "a folder; give a folder path instead (for example ./out)"
        )


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yields an empty temporary folder next to ``path``; on success it replaces ``path`` as a whole.

    On any failure (Ctrl-C included) the temporary folder is removed and ``path`` is left as it was, so
    a run never leaves a partial folder. An existing ``path`` folder is replaced only once the new one
    is complete, in one step where the system can (:mod:`carrousel.core.folder_swap`): a reader finds
    the old folder or the new one, never none. The folder gets the umask's mode.

    Raises:
        ConfigError: when ``path`` names stdout (see :func:`refuse_stream_dir`).
        OutputError: when ``path`` is a file, or its parent cannot be created or written.
    """
    refuse_stream_dir(path)
    target = user_path(path)
    if _DISCARD["on"]:
        with _scratch(folder=True) as tmp:
            yield tmp
        return
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; give a folder path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target)
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
        os.chmod(tmp, umask_mode(0o777))
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        yield tmp
        put_or_hold(tmp, functools.partial(_put, tmp, target, True))  # staged_outputs: held
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        named = _named(exc, tmp, target)
        if named is exc:
            raise
        raise named from exc


def _put(tmp: Path, target: Path, folder: bool) -> None:  # now, or at a staged_outputs block's end
    try:
        if folder:
            replace_folder(tmp, target, _temp_prefix(target))
        else:
            os.replace(tmp, target)
    except OSError as exc:
        if folder and exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and target.is_dir():  # another run won
            raise OutputError(
                f"{target} was written by another run at the same time (its complete output is kept); "
                "give each run its own folder, or run again to replace it"
            ) from None
        raise _cannot_write(target, exc) from None
    _fsync_dir(target.parent)


def _named(exc: BaseException, tmp: Path, target: Path) -> BaseException:
    """What to raise for ``exc``, raised while the folder ``tmp`` was written: a write error (a full
    disk) names ``target`` or its file, never the temporary name (which is gone)."""
    if isinstance(exc, OutputError) and str(tmp) in str(exc):  # a file written in it by atomic_path
        return OutputError(str(exc).replace(str(tmp), str(target)))
    if isinstance(exc, OSError) and not isinstance(exc, CarrouselError) and exc.errno is not None:
        name = None if exc.filename is None else os.fspath(exc.filename)
        if name is None:
            return _cannot_write(target, exc)
        if name == str(tmp) or name.startswith(str(tmp) + os.sep):
            return _cannot_write(Path(str(target) + name[len(str(tmp)) :]), exc)
    return exc


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically (a special file such as ``/dev/stdout`` in place)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
