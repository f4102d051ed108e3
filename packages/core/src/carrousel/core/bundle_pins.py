"""One snapshot of a bundle folder per command: every read of the folder sees the same files.

:func:`carrousel.core.bundle.load_bundle` reads a folder's files as one snapshot, but a command that
reads the same folder twice (``read_manifest`` for a default, then ``load_bundle``; an export that loads
the model, then reads its provenance or scores it again by path) could meet the old folder the first time
and the new one the second, if another run replaced it in between: the old training split with the new
network, or the new provenance saved with the old weights, without a word.

Inside :func:`pinned_bundles` (every command of :func:`carrousel.core.cli.command` runs in it; a Python
caller may use it too) the first read of a folder keeps its manifest's bytes, the bytes of every small file
it lists (at most :data:`KEEP_BYTES`: assets, arrays, small weights) and an open descriptor of every larger
one (the weights of a larger network), and every later ``load_bundle`` or ``read_manifest`` of that folder
reads those same files: all old or all new, never a mix (the same for
:func:`carrousel.core.io.load_module` of a ``save_module`` folder: its ``config.json`` bytes, its weights
as a listed file). A file removed by the run that replaced the folder stays readable through its descriptor
until the block ends; one written over in place since (its size, mtime or ctime changed: ``cp -p`` puts the mtime
back) is an error, not a mix (a small one kept as bytes is read as first read). The bytes of large files
are not kept: the weights were in memory twice for the whole command (the pinned bytes and the loaded
network; +208 MiB resident for a 208 MiB bundle). A descriptor per file was kept before: 5 for a bundle
with arrays and three assets, so a command loading 203 such models failed under ``ulimit -n 1024``; now at
most one per bundle whose files but its weights are small. A folder this process replaces
(:func:`carrousel.core.folder_swap.replace_folder`: :meth:`Bundle.save`, ``atomic_dir``), itself or a
folder above it, is read afresh. Torch-free.
"""

from __future__ import annotations

import contextvars
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from carrousel.core.args import check_args

__all__ = [
    "KEEP_BYTES",
    "Kept",
    "forget",
    "keep_read",
    "pin",
    "pinned",
    "pinned_bundles",
    "pins_active",
    "release",
]

# file -> (open descriptor, or the bytes first read of a small file; its bundle_files.stamp when first read:
# size, mtime_ns, ctime_ns, links)
Kept = dict[str, tuple[int | bytes, tuple[int, int, int, int]]]
KEEP_BYTES = 1 << 20  # a listed file of at most this many bytes is kept as bytes, its descriptor closed
# (folder (absolute), manifest name) -> (stamp when read, manifest bytes, the listed files kept: Kept)
_Pins = dict[tuple[str, str], tuple[int, bytes, Kept]]
_MANIFEST = "bundle.json"  # carrousel.core.bundle_files.BUNDLE_FILE; a save_module folder: config.json
_PINS: contextvars.ContextVar[_Pins | None] = contextvars.ContextVar("carrousel_bundle_pins", default=None)
_CLOCK = itertools.count(1)
_REPLACED: dict[str, int] = {}  # folder (absolute) -> stamp of its last replacement by this process


@contextmanager
def pinned_bundles() -> Iterator[None]:
    """Inside, each bundle folder is read once (see the module docstring); nested uses share the outer one."""
    if _PINS.get() is not None:
        yield
        return
    pins: _Pins = {}
    token = _PINS.set(pins)
    try:
        yield
    finally:
        _PINS.reset(token)
        for _, _, kept in pins.values():
            release(kept)


@check_args
def keep_read(
    kept: Kept | None, rel: str, handle: int, blob: bytes, first: tuple[int, int, int, int]
) -> None:
    """Files ``rel``, just read through ``handle`` as ``blob`` (its stamp ``first`` taken before), in
    ``kept`` for :func:`~carrousel.core.bundle_files.read_kept`: a small file's bytes (at most
    :data:`KEEP_BYTES`), its descriptor closed, else the open descriptor (the caller closes it:
    :func:`release`). Without ``kept`` the descriptor is closed. The one rule of
    :func:`~carrousel.core.bundle_files.read_listed` and :func:`carrousel.core.io.load_module`'s reads."""
    if kept is not None and len(blob) > KEEP_BYTES:
        kept[rel] = (handle, first)
        return
    os.close(handle)
    if kept is not None:
        kept[rel] = (blob, first)


def release(kept: Kept) -> None:
    """Closes the descriptors of ``kept`` (the bytes kept of small files need none)."""
    for handle, _ in kept.values():
        if isinstance(handle, int):
            with suppress(OSError):
                os.close(handle)


def pins_active() -> bool:
    """True inside :func:`pinned_bundles`."""
    return _PINS.get() is not None


def _key(folder: Path) -> str:
    return os.path.abspath(folder)


def pinned(folder: Path, manifest: str = _MANIFEST) -> tuple[bytes, Kept] | None:
    """The manifest bytes and the files kept for ``folder`` (read as a folder whose manifest is the file
    ``manifest``: :func:`carrousel.core.bundle_files.read_kept` reads them); None outside
    :func:`pinned_bundles`, when it was not read yet, or when this process replaced it (or a folder above it)
    since."""
    pins = _PINS.get()
    if not pins or (held := pins.get((key := _key(folder), manifest))) is None:
        return None
    stamp, raw, blobs = held
    path = Path(key)
    if any(_REPLACED.get(str(p), 0) > stamp for p in (path, *path.parents)):  # it, or a folder above it
        return None
    return raw, blobs


def pin(folder: Path, raw: bytes, kept: Kept, manifest: str = _MANIFEST) -> None:
    """Keeps what was read of ``folder`` (the bytes of its file ``manifest``, the files it goes with open)
    inside :func:`pinned_bundles`, which closes them at its end; outside, closes them now."""
    pins = _PINS.get()
    if pins is None:
        release(kept)
        return
    old = pins.get(key := (_key(folder), manifest))
    pins[key] = (next(_CLOCK), raw, kept)
    if old is not None:
        release(old[2])


def forget(folder: Path) -> None:
    """Marks ``folder`` (and all below it) as replaced by this process: later reads read it afresh."""
    _REPLACED[_key(folder)] = next(_CLOCK)
