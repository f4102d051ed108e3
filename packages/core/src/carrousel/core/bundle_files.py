"""Reading a bundle folder's files as one snapshot, even while another run replaces the folder.

:meth:`carrousel.core.bundle.Bundle.save` replaces a folder as a whole, but a reader that opened
``bundle.json`` by path and then ``model.safetensors`` by path could meet the old manifest and the new
weights (same shapes: a half-old, half-new model loaded without a word). Here the folder is opened once
and every file is read through that open folder into memory, checked against the manifest read through
it: the files all come from one folder. If that folder is removed while read (its writer replaced it),
a file is gone and the caller reads the new folder again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from carrousel.core.args import check_args
from carrousel.core.bundle_pins import Kept, keep_read
from carrousel.core.errors import BundleError, CarrouselError

__all__ = [
    "ARRAYS_FILE",
    "ASSETS_DIR",
    "BUNDLE_FILE",
    "WEIGHTS_FILE",
    "check_asset_name",
    "check_kind",
    "check_listing",
    "check_strict_json",
    "close_folder",
    "file_sha256",
    "header_shapes",
    "open_at",
    "open_folder",
    "read_at",
    "read_kept",
    "read_listed",
    "read_open",
    "read_snapshot",
    "stamp",
    "write_synced",
]

T = TypeVar("T")
SNAPSHOT_TRIES = 5  # reads of a folder that other runs keep replacing, before the last try by path
BUNDLE_FILE = "bundle.json"
WEIGHTS_FILE = "model.safetensors"
ARRAYS_FILE = "arrays.safetensors"
ASSETS_DIR = "assets"


def check_asset_name(name: str) -> None:
    """Refuses an asset name that is not a plain file name (a path could leave the folder)."""
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts or len(parts) != 1:
        raise BundleError(f"asset file name {name!r} must be a plain file name (no folders, no '..')")


def check_kind(kind: object) -> None:
    """Refuses a bundle kind that names nothing (``""``, blanks), or is no plain name: spaces around it, a
    path separator, a control character (it is shown in one-line messages and compared on every load).

    Raises:
        BundleError: naming the kind given and what a kind looks like.
    """
    like = "name what the bundle is, e.g. kind='finance.forecaster'"
    if not isinstance(kind, str):
        raise BundleError(f"a bundle kind must be a str, got {type(kind).__name__}; {like}")
    if not kind.strip():
        raise BundleError(f"a bundle kind must not be blank, got {kind!r}; {like}")
    if kind != kind.strip() or any(c in "/\\" or not c.isprintable() for c in kind):
        raise BundleError(
            f"bundle kind {kind!r} is not a plain name (spaces around it, '/', '\\' or a control "
            f"character); {like}"
        )


def check_strict_json(value: Any, where: str) -> None:
    """Strict JSON: no NaN/inf, no objects that json would stringify.

    Raises:
        BundleError: naming ``where`` and the fix.
    """
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BundleError(
            f"{where} is not strict JSON ({exc}); store finite numbers and plain values"
        ) from None


def check_listing(root: Path, doc: Mapping[str, Any]) -> None:
    """Checks the manifest's ``files`` table: the weights listed, every name a known file or asset."""
    files = doc["files"]
    if WEIGHTS_FILE not in files:
        raise BundleError(f"{root / BUNDLE_FILE} lists no {WEIGHTS_FILE}; train or save the model again")
    for rel, info in files.items():
        if not isinstance(rel, str) or not isinstance(info, dict):
            raise BundleError(f"{root / BUNDLE_FILE} is damaged (files); train or save the model again")
        if rel not in (WEIGHTS_FILE, ARRAYS_FILE):
            head, _, name = rel.partition("/")
            if head != ASSETS_DIR:
                raise BundleError(f"{root / BUNDLE_FILE} names an unexpected file {rel!r}; save again")
            check_asset_name(name)


def open_folder(root: Path) -> int | None:
    """An open descriptor of the folder ``root``, or None where it cannot be opened (or the system reads
    no files relative to one): the caller then reads by path and reports what is wrong."""
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        return None
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None


@check_args
def close_folder(fd: int | None) -> None:
    """Closes what :func:`open_folder` returned."""
    if fd is not None:
        os.close(fd)


def read_snapshot(root: Path, read: Callable[[int | None], T]) -> T:
    """``read(fd)`` with ``fd`` the folder ``root`` opened once, so that every file ``read`` opens through it
    (:func:`read_at`) comes from one folder, even while another run replaces ``root`` as a whole
    (:func:`carrousel.core.atomic.atomic_dir`). A file gone under the reader (``FileNotFoundError``: its
    folder was replaced and removed) or over its limit (``ValueError``) has the new folder opened and read
    again; after :data:`SNAPSHOT_TRIES` tries, or where no folder can be opened, ``read(None)`` reads by path
    and its errors name what is wrong. The one snapshot reader of :func:`carrousel.core.bundle.load_bundle`
    and :func:`carrousel.core.io.load_module`."""
    for _ in range(SNAPSHOT_TRIES):
        if (fd := open_folder(root)) is None:
            break
        try:
            return read(fd)
        except (FileNotFoundError, ValueError):
            continue
        finally:
            close_folder(fd)
    return read(None)


@check_args
def open_at(root: Path, fd: int | None, rel: str) -> int:
    """An open read-only descriptor of ``root / rel``, opened through the open folder ``fd`` (by path when
    None); the caller closes it.

    Raises:
        FileNotFoundError: the file is not there (through ``fd``: the folder may have been replaced).
    """
    return os.open(root / rel, os.O_RDONLY) if fd is None else os.open(rel, os.O_RDONLY, dir_fd=fd)


@check_args
def read_at(root: Path, fd: int | None, rel: str, limit: int | None = None) -> bytes:
    """The bytes of ``root / rel``, read through the open folder ``fd`` (by path when None).

    Raises:
        FileNotFoundError: the file is not there (through ``fd``: the folder may have been replaced).
        ValueError: the file is larger than ``limit``.
    """
    with os.fdopen(open_at(root, fd, rel), "rb") as fh:
        if limit is not None and os.fstat(fh.fileno()).st_size > limit:
            raise ValueError("too large")
        return fh.read()


@check_args
def stamp(handle: int) -> tuple[int, int, int, int]:
    """Size, mtime (ns), ctime (ns) and link count of the open file ``handle``, for :func:`read_kept`.

    A write changes the size or mtime, but ``cp -p`` or ``rsync --inplace -t`` puts the mtime back; the
    ctime moves with any write or chmod and cannot be set back by a user. Reading the file, or replacing,
    renaming or removing another file (or a folder above it), leaves it alone; a change of the link count
    moves it too (the file's removal by the run that replaced its folder), so the ctime is compared only
    while the count is unchanged. Renaming the file itself moves it as well (on ext4): an error too.
    """
    st = os.fstat(handle)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink


def _written_over(first: tuple[int, ...], now: tuple[int, ...]) -> bool:
    """Whether two :func:`stamp` s of one open file tell of a write (or chmod) in between."""
    if first[:2] != now[:2]:
        return True  # size or mtime
    return first[3] == now[3] and first[2] != now[2]  # the ctime, unless a link was added or removed


@check_args
def read_open(handle: int) -> bytes:
    """Every byte of the open file ``handle``, from its start (its offset is neither used nor moved)."""
    size, parts, at = os.fstat(handle).st_size, [], 0
    while at < size:
        part = os.pread(handle, min(size - at, 1 << 30), at)
        if not part:
            break
        parts.append(part)
        at += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_kept(root: Path, kept: Kept, error: type[CarrouselError]) -> dict[str, bytes]:
    """The bytes of the files :func:`read_listed` (or a loader) kept, as they were first read: those kept
    open read again, the small ones kept as bytes as they are.

    Raises:
        error: a file kept open was written over in place since (its size, mtime or ctime changed,
            :func:`stamp`; a chmod too): not a mix.
    """
    blobs: dict[str, bytes] = {}
    for rel, (handle, first) in kept.items():
        if isinstance(handle, bytes):
            blobs[rel] = handle
            continue
        blob = read_open(handle)
        if _written_over(first, stamp(handle)):
            raise error(
                f"{root / rel} was written over while this command ran (or its mode changed; not replaced "
                "as a whole); run it again"
            )
        blobs[rel] = blob
    return blobs


@check_args
def read_listed(
    root: Path, fd: int | None, files: Mapping[str, Any], kept: Kept | None = None
) -> dict[str, bytes]:
    """Reads every file the manifest lists, checking its recorded size and sha256.

    Args:
        root: the bundle folder.
        fd: ``root`` opened (:func:`open_folder`), or None to read by path.
        files: the manifest's ``files`` table.
        kept: where given, each file's open descriptor (its bytes for a file of at most
            :data:`~carrousel.core.bundle_pins.KEEP_BYTES`, the descriptor closed) and :func:`stamp` go
            there (the caller closes them: :func:`carrousel.core.bundle_pins.release`), for
            :func:`read_kept` to read the same files again.

    Raises:
        FileNotFoundError: through ``fd``, a listed file is not there (the caller reads again).
        BundleError: by path, a file is missing; either way, one is truncated or changed.
    """
    blobs: dict[str, bytes] = {}
    for rel, info in files.items():
        path = root / rel
        try:
            handle = open_at(root, fd, rel)
        except FileNotFoundError:
            if fd is not None:
                raise
            raise BundleError(
                f"{path} is missing; the model folder is incomplete, copy or train it again"
            ) from None
        try:
            first = stamp(handle)  # before reading: a write after it shows in a later stamp
            blob = read_open(handle)
            if len(blob) != info.get("bytes"):
                raise BundleError(
                    f"{path} is truncated or changed ({len(blob)} bytes, expected {info.get('bytes')}); "
                    "copy or train the model again"
                )
            if hashlib.sha256(blob).hexdigest() != info.get("sha256"):
                raise BundleError(
                    f"{path} does not match its checksum (the file was changed); copy or train the model again"
                )
        except BaseException as exc:
            os.close(handle)
            if isinstance(exc, IsADirectoryError):
                raise BundleError(f"{path} is a folder, not a file; copy or train the model again") from None
            raise
        keep_read(kept, rel, handle, blob, first)
        blobs[rel] = blob
    return blobs


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def header_shapes(blob: bytes, path: Path) -> dict[str, tuple[int, ...]]:
    """The tensor shapes a safetensors file's header records (nothing else is read or allocated).

    Raises:
        BundleError: the header is damaged.
    """
    try:
        size = int.from_bytes(blob[:8], "little")
        if len(blob) < 8 or size > len(blob) - 8:
            raise ValueError("header longer than the file")
        header = json.loads(blob[8 : 8 + size])
        return {k: tuple(int(n) for n in v["shape"]) for k, v in header.items() if k != "__metadata__"}
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is damaged ({exc}); train or save the model again") from None


def write_synced(path: Path, blob: bytes) -> None:
    """Writes ``blob`` to the new file ``path`` (inside a temporary folder) and fsyncs it."""
    with open(path, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
