"""Pickle-free saving and loading of modules (the files written atomically by :mod:`carrousel.core.atomic`).

A saved module is a folder with two files:

* ``config.json``: ``{"format": "carrousel", "format_version": 1, "module": <registered name>,
  "config": {...}, "extra": {...}}``;
* ``model.safetensors``: the weights (and buffers), with the registered name and format version repeated
  in its metadata.

Loading keeps every saved tensor's dtype (:func:`keep_saved_dtypes`): a float64 model comes back float64.

The folder is written as a whole, as a bundle is (:func:`carrousel.core.atomic.atomic_dir`: a temporary
folder renamed into place), so a crash never leaves a half-written folder nor one new file beside an old
one; and it is read as one snapshot (:func:`carrousel.core.bundle_files.read_snapshot`, pinned inside a
command by :mod:`carrousel.core.bundle_pins`), so a folder another run replaces meanwhile is loaded old or
new, never the old config with the new weights. A module is rebuilt by name from :data:`MODULES`, never by
unpickling.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import is_dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from carrousel.core.atomic import atomic_dir, atomic_write_bytes, atomic_write_text
from carrousel.core.bundle_files import BUNDLE_FILE, open_at, read_kept, read_open, read_snapshot, stamp
from carrousel.core.bundle_pins import Kept, keep_read, pin, pinned
from carrousel.core.config import from_dict, to_dict
from carrousel.core.device import pick_device
from carrousel.core.errors import (
    CarrouselError,
    CheckpointError,
    ConfigError,
    FormatVersionError,
    OutputError,
    RegistryError,
)
from carrousel.core.files import refuse_other_files
from carrousel.core.files_text import read_failure
from carrousel.core.paths import user_path
from carrousel.core.registry import Registry
from carrousel.core.text import name_some

__all__ = [
    "CONFIG_FILE",
    "FORMAT_VERSION",
    "MODULES",
    "WEIGHTS_FILE",
    "keep_saved_dtypes",
    "load_module",
    "read_config",
    "register_module",
    "registered_config",
    "save_module",
]

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=torch.nn.Module)

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"

MODULES: Registry[torch.nn.Module] = Registry(
    "module",
    torch.nn.Module,
    providers={  # core's own modules: loadable without importing carrousel.core.nn first
        "recurrent_encoder": "carrousel.core.nn.recurrent",
        "sequence_classifier": "carrousel.core.nn.heads",
        "sequence_regressor": "carrousel.core.nn.heads",
    },
    decorator="carrousel.core.register_module",
)
"""Registry of module classes that :func:`load_module` can rebuild. Each has a ``config`` attribute
(a dataclass instance), a ``config_class`` (that dataclass) and a constructor that takes that config as its
only argument; :func:`register_module` checks ``config_class``."""


class _Configurable(Protocol):
    config: Any


def register_module(name: str) -> Callable[[type[M]], type[M]]:
    """Class decorator registering a module under ``name`` for :func:`load_module` and bundles.

    The class must set ``config_class``, the frozen dataclass its constructor takes as its only argument,
    and keep that config as ``self.config``: a saved module is rebuilt as ``cls(config_class(**saved))``.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class NetConfig:
        ...     size: int = 4
        >>> @register_module("doc.net")
        ... class Net(torch.nn.Module):
        ...     config_class = NetConfig
        ...     def __init__(self, config: NetConfig) -> None:
        ...         super().__init__()
        ...         self.config = config

    Raises:
        RegistryError: the class is not an ``nn.Module``, has no dataclass ``config_class``, or ``name``
            holds another class.
    """
    register = MODULES.register(name)

    def deco(cls: type[M]) -> type[M]:
        config_cls = getattr(cls, "config_class", None) if isinstance(cls, type) else None
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module) and not is_dataclass(config_cls):
            got = "none" if config_cls is None else repr(config_cls)
            raise RegistryError(
                f"module {name!r}: {cls.__qualname__}.config_class must be the dataclass its constructor "
                f"takes (got {got}), or a saved {cls.__qualname__} cannot be rebuilt; set "
                f"config_class = {cls.__qualname__}Config in the class body"
            )
        register(cls)
        return cls

    return deco


def save_module(module: torch.nn.Module, folder: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Saves a registered module as safetensors weights plus a JSON config.

    The folder is written as a whole (a temporary folder renamed into place, as :meth:`Bundle.save
    <carrousel.core.bundle.Bundle.save>` does): a crash or Ctrl-C leaves the earlier folder as it was, and
    an earlier ``save_module`` folder is replaced with everything in it.

    Args:
        module: an instance of a class registered with :func:`register_module`, with a ``config``.
        folder: destination folder: new, empty, or an earlier ``save_module`` folder.
        extra: JSON-able data stored beside the config (e.g. a scaler or a vocabulary).

    Returns:
        The folder.

    Raises:
        RegistryError: the module's class is not registered.
        CheckpointError: the module has no ``config``, or its config or ``extra`` holds NaN or inf.
        OutputError: ``folder`` is an existing file, or a folder of other files (no ``config.json``, or one
            save_module did not write: not an earlier save, whose files would be replaced), or cannot be
            written.
    """
    name = MODULES.name_of(type(module))
    cfg = getattr(module, "config", None)
    if cfg is None:
        raise CheckpointError(f"{type(module).__name__} has no .config; it cannot be rebuilt on load")
    meta = {"format": "carrousel", "format_version": FORMAT_VERSION, "module": name}
    doc = {**meta, "config": to_dict(cfg), "extra": extra or {}}
    try:  # checked before anything is written: NaN/inf would make config.json non-standard JSON
        text = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False)
    except ValueError:
        raise CheckpointError(
            f"{type(module).__name__}'s config or extra data holds NaN or inf, which config.json cannot "
            "store; replace them with finite numbers (or None) before saving"
        ) from None
    out = user_path(folder)
    if out.exists() and not out.is_dir():  # was FileExistsError from mkdir; Bundle.save says the same
        raise OutputError(f"{out} exists and is not a folder; give a folder path")
    _refuse_foreign_folder(out)  # the folder is replaced as a whole
    # Own CPU copies: cuDNN packs RNN weights into one shared buffer, which safetensors refuses to save.
    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in module.state_dict().items()}
    with atomic_dir(out) as tmp:  # both files, or neither: the earlier folder stays until this one is whole
        # bytes written by atomic_write_bytes (fsynced, the umask's mode): safetensors' save_file renames its
        # own temporary file into place, which left model.safetensors at mode 0600 beside a 0644 config.json
        atomic_write_bytes(tmp / WEIGHTS_FILE, save(tensors, metadata={k: str(v) for k, v in meta.items()}))
        atomic_write_text(tmp / CONFIG_FILE, text)
    logger.debug("saved %s to %s", name, out)
    return out


def _refuse_foreign_folder(out: Path) -> None:
    """Refuses a folder :func:`save_module` would replace that is not new, empty or an earlier save: one of
    other files, or one whose ``config.json`` another program wrote (a run's settings beside its data: the
    name alone is no earlier save, and everything beside it would be deleted with the folder).

    Raises:
        OutputError: naming the folder and the fix.
    """
    refuse_other_files(out, None, CONFIG_FILE, OutputError)
    if not (config := out / CONFIG_FILE).is_file():
        return
    try:
        doc = json.loads(config.read_bytes())
    except (OSError, ValueError):
        doc = None
    if not isinstance(doc, dict) or (doc.get("format"), type(doc.get("module"))) != ("carrousel", str):
        raise OutputError(
            f"{out} holds a {CONFIG_FILE} that save_module did not write, so it is not an earlier save and "
            "everything in it would be replaced; give a new or empty folder"
        )


def read_config(folder: str | Path) -> dict[str, Any]:
    """Reads and validates ``config.json`` of a saved module folder (inside
    :func:`~carrousel.core.bundle_pins.pinned_bundles`, the bytes an earlier :func:`load_module` read).

    Raises:
        CheckpointError: when the file is missing or damaged.
        FormatVersionError: when it was written by another format version.
    """
    root = _saved_folder(folder)
    held = pinned(root, CONFIG_FILE)
    return _config_doc(root, held[0] if held is not None else _read_saved(root, None, CONFIG_FILE))


def _saved_folder(folder: str | Path) -> Path:
    """``folder`` as a path, refused when it is a file (was NotADirectoryError from inside pathlib: e.g. the
    path of config.json itself)."""
    root = user_path(folder)
    if root.is_file():
        fix = (
            f"give its folder {root.parent}" if root.name in (CONFIG_FILE, WEIGHTS_FILE) else "give a folder"
        )
        raise CheckpointError(f"{root} is a file, not the folder save_module wrote; {fix}")
    return root


def _open_saved(root: Path, fd: int | None, name: str) -> int:
    """An open descriptor of ``root / name``, opened through the open folder ``fd`` (None: by path).

    Raises:
        FileNotFoundError: through ``fd``, the file is not there (the folder may have been replaced: read
            again, :func:`~carrousel.core.bundle_files.read_snapshot`).
        CheckpointError: by path, the file is missing; either way, it cannot be opened.
    """
    path = root / name
    try:
        return open_at(root, fd, name)
    except FileNotFoundError:
        if fd is not None:
            raise
        if name == WEIGHTS_FILE:
            raise CheckpointError(f"{path} not found; the saved model is incomplete, save it again") from None
        hint = f"; it holds {BUNDLE_FILE}: load it with carrousel.core.bundle.load_bundle"
        bundle = (root / BUNDLE_FILE).is_file()
        raise CheckpointError(
            f"{path} not found; point to a folder written by save_module{hint if bundle else ''}"
        ) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError) -> Exception:
    """A folder in its place, no permission (was a traceback); out of open files or memory: as it came."""
    why = type(exc).__name__
    return read_failure(exc, str(path), "check it or save again", CheckpointError, reason=why, sep=" ")


def _read_saved(root: Path, fd: int | None, name: str, kept: Kept | None = None) -> bytes:
    """The bytes of ``root / name`` (:func:`_open_saved`); with ``kept``, kept there (as bytes when small)."""
    handle = _open_saved(root, fd, name)
    try:
        first = stamp(handle)  # before reading: a write after it shows in a later stamp
        blob = read_open(handle)
    except OSError as exc:
        os.close(handle)
        raise _unreadable(root / name, exc) from None
    except BaseException:
        os.close(handle)
        raise
    keep_read(kept, name, handle, blob, first)  # as bundle_files.read_listed keeps the listed files
    return blob


def _config_doc(root: Path, raw: bytes) -> dict[str, Any]:
    """The validated document of ``root``'s ``config.json`` from its bytes."""
    path = root / CONFIG_FILE
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is damaged ({exc.__class__.__name__}); save the model again") from None
    if not isinstance(doc, dict) or doc.get("format") != "carrousel":
        raise CheckpointError(f"{path} is not a carrousel model config; point to a save_module folder")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format version {version}, this carrousel reads version {FORMAT_VERSION}; "
            "re-save it with a matching carrousel version"
        )
    if not isinstance(doc.get("module"), str) or not isinstance(doc.get("config"), dict):
        raise CheckpointError(f"{path} is damaged (no module name or config); save the model again")
    return doc


def _saved_files(root: Path) -> tuple[bytes, bytes]:
    """``config.json`` and the weights of ``root``, read from one folder even while another run replaces it
    (:func:`~carrousel.core.bundle_files.read_snapshot`); inside :func:`~carrousel.core.bundle_pins.pinned_bundles`
    the first read's files again (bytes when small, else open)."""
    if (held := pinned(root, CONFIG_FILE)) is not None:
        return held[0], read_kept(root, held[1], CheckpointError)[WEIGHTS_FILE]
    kept: Kept = {}  # the weights file, left open by the try that succeeded (a failed try closes it)
    raw, blob = read_snapshot(
        root, lambda fd: (_read_saved(root, fd, CONFIG_FILE), _read_saved(root, fd, WEIGHTS_FILE, kept))
    )
    pin(root, raw, kept, CONFIG_FILE)  # closed at once outside pinned_bundles
    return raw, blob


def registered_config(
    doc: dict[str, Any], error: type[CarrouselError], where: Path, config_file: Path, fix: str
) -> tuple[type[torch.nn.Module], Any]:
    """The registered module class named by a saved document and its config rebuilt from it (the one
    place :func:`load_module` and :func:`carrousel.core.bundle.load_bundle` resolve a saved network).

    Args:
        doc: the saved JSON document, with ``"module"`` (registered name) and ``"config"`` (a dict).
        error: the error to raise (e.g. :class:`CheckpointError`, :class:`BundleError`).
        where: the saved folder, named in the error when the module is not registered.
        config_file: the file holding the config, named in the error when it is invalid.
        fix: what the user should do about an invalid config (e.g. ``"train it again"``).

    Raises:
        ``error``: the name is not registered (import the package that defines it first), the class has
            no ``config_class``, or the config does not validate.
    """
    try:
        cls = MODULES.get(doc["module"])
    except RegistryError as exc:
        raise error(f"{exc}; import the package that defines it before loading {where}") from None
    config_cls = getattr(cls, "config_class", None)
    if config_cls is None:
        raise error(f"{cls.__qualname__} lacks config_class; it cannot be rebuilt")
    try:
        cfg = from_dict(config_cls, doc["config"])
    except (ConfigError, TypeError, ValueError) as exc:
        raise error(f"{config_file} holds an invalid config ({exc}); {fix}") from None
    return cls, cfg


def keep_saved_dtypes(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor]) -> None:
    """Gives a freshly built ``module`` the floating dtypes of its saved ``tensors``, before
    ``load_state_dict`` (which copies into the module's float32 and so would read a float64, bf16 or fp16
    save back as float32 without a word): a loaded model has the dtypes it was saved with, as safetensors
    and ``torch.load`` keep them.

    One saved floating dtype (``model.double()``, ``model.half()``) casts the whole module with
    ``module.to(dtype)``, buffers left out of the state dict included; saved tensors of several floating
    dtypes each give theirs to the parameter or buffer of their name. Integer tensors are left alone.
    """
    saved = {k: v.dtype for k, v in tensors.items() if v.is_floating_point()}
    if len(set(saved.values())) == 1:
        module.to(next(iter(saved.values())))
        return
    for name, t in [*module.named_parameters(), *module.named_buffers()]:
        if name in saved and t.is_floating_point() and t.dtype != saved[name]:
            t.data = t.data.to(saved[name])


def load_module(folder: str | Path, map_location: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuilds a module saved by :func:`save_module` (no pickle involved).

    Args:
        folder: a folder written by :func:`save_module`.
        map_location: device the returned module lives on (``"cpu"``, ``"cuda"``, ``"auto"``...).

    Raises:
        CheckpointError: when a file is missing or damaged, the module name is not registered (import the
            package defining it first), or weights do not fit the config.
        ConfigError: when ``map_location`` is not available here.
        FormatVersionError: on a format version mismatch.
    """
    folder = _saved_folder(folder)
    raw, blob = _saved_files(folder)  # one snapshot of the folder: both files old, or both new
    doc = _config_doc(folder, raw)
    cls, cfg = registered_config(doc, CheckpointError, folder, folder / CONFIG_FILE, "save again")
    module = cls(cfg)  # type: ignore[call-arg]
    weights = folder / WEIGHTS_FILE
    try:
        tensors = load(blob)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights} is damaged ({exc}); save again") from None
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if not missing and not unexpected:
        try:
            keep_saved_dtypes(module, tensors)
            module.load_state_dict(tensors, strict=True)
        except RuntimeError as exc:  # shape mismatch
            raise CheckpointError(
                f"{weights} does not match its config ({str(exc).splitlines()[-1].strip()}); save again"
            ) from None
    if missing or unexpected:
        found = {"missing": missing, "unexpected": unexpected}
        parts = ", ".join(f"{what} {name_some(keys, quote=True)}" for what, keys in found.items() if keys)
        raise CheckpointError(f"{weights} does not match {doc['module']}: {parts}; save the model again")
    return module.to(pick_device(map_location))  # load_state_dict copied into the CPU-built module
