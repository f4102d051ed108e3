"""The saved-model format of every carrousel domain: a bundle folder.

A bundle is what a pipeline trains and a command loads again (``bio scan --model``): the network and
everything needed to use it, with no pickle anywhere::

    model/
      bundle.json          format, format_version, kind, carrousel_version, versions (Python, torch,
                           numpy), created, module (registered name), config (JSON), assets (named JSON
                           values: label map, scalers...), data (training-data provenance), files (size,
                           sha256 of every file below)
      model.safetensors    the weights
      arrays.safetensors   named numeric assets (calibration tables...), when there are any
      assets/NAME          named file assets (a tokenizer, a vocabulary, a motif file...), when any
      history.csv, training.png   a train command's report (carrousel.core.curves): outside the manifest

:meth:`Bundle.save` writes the folder as a whole (a temporary folder renamed into place), so a crash
never leaves half a bundle. :func:`load_bundle` checks, before it allocates any tensor, that every file
is present with its recorded size and checksum, that the kind and format version are the expected ones,
that the config rebuilds, and that the weights' shapes match the network the config describes (the
network is first built on PyTorch's ``meta`` device, which allocates nothing); then it loads the weights,
each in its saved dtype, and refuses non-finite values. Every failure is a
:class:`~carrousel.core.errors.BundleError` whose one line names the file and the fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load as np_load
from safetensors.numpy import save as np_save
from safetensors.torch import load, save

from carrousel.core.atomic import atomic_dir
from carrousel.core.bundle_files import (
    ARRAYS_FILE,
    ASSETS_DIR,
    BUNDLE_FILE,
    WEIGHTS_FILE,
    check_asset_name,
    check_kind,
    check_listing,
    check_strict_json,
    file_sha256,
    header_shapes,
    read_at,
    read_kept,
    read_listed,
    read_snapshot,
)
from carrousel.core.bundle_files import write_synced as _write
from carrousel.core.bundle_pins import Kept, pin, pinned, pinned_bundles, pins_active, release
from carrousel.core.config import to_dict
from carrousel.core.device import pick_device
from carrousel.core.errors import BundleError, CarrouselError, FormatVersionError
from carrousel.core.files import refuse_other_files
from carrousel.core.io import MODULES, keep_saved_dtypes, registered_config
from carrousel.core.json_finite import loads_finite
from carrousel.core.nn.shapes import state_shapes
from carrousel.core.paths import user_path
from carrousel.core.provenance import carrousel_version, fix_or_upgrade, software_versions, upgrade_command
from carrousel.core.text import model_repr, name_some  # model_repr: kept importable from here

__all__ = [
    "ARRAYS_FILE",
    "BUNDLE_FILE",
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_VERSION",
    "WEIGHTS_FILE",
    "Bundle",
    "file_sha256",
    "is_bundle",
    "load_bundle",
    "model_repr",
    "pinned_bundles",
    "read_manifest",
]

logger = logging.getLogger(__name__)
BUNDLE_FORMAT = "carrousel.bundle"
BUNDLE_FORMAT_VERSION = 1
_MAX_MANIFEST_BYTES = 64 << 20  # a manifest is small JSON; anything bigger is not one
_Read = tuple[dict[str, Any], dict[str, bytes]]  # a folder's checked manifest and the bytes of its files


@dataclass(frozen=True, eq=False)
class Bundle:
    """A trained network with its preprocessing and provenance.

    Attributes:
        kind: what the bundle is, ``"<domain>.<model>"`` (e.g. ``"finance.forecaster"``); loaders check it.
        model: the network: an instance of a class registered with
            :func:`carrousel.core.io.register_module`, with a dataclass ``config``.
        assets: named JSON values needed to use the model (label map, scalers, settings).
        arrays: named numeric arrays (calibration tables...), stored as safetensors.
        files: named file contents (a tokenizer file, a motif file...), stored under ``assets/``.
        data: provenance of the training data (hashes, ranges, sources), JSON.
        created: UTC time the bundle was made (ISO 8601).
        carrousel_version: the carrousel version that wrote it.
        versions: the Python, torch and numpy versions that wrote it ({} for a bundle saved before).
    """

    kind: str
    model: torch.nn.Module
    assets: Mapping[str, Any] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    carrousel_version: str = field(default_factory=carrousel_version)
    versions: Mapping[str, str] = field(default_factory=software_versions)

    def __post_init__(self) -> None:
        check_kind(self.kind)  # kind="", "  " or "a/b" was saved without a word

    def __repr__(self) -> str:
        """One line: the kind, the network's class and size, and the names of the rest (a notebook cell
        showed every asset, array and file byte: 354,329 characters for the shipped sentiment model)."""
        weights = sum(p.numel() for p in self.model.parameters())
        return (
            f"Bundle(kind={self.kind!r}, model={type(self.model).__name__} ({weights:,} weights), "
            f"assets={sorted(self.assets)}, arrays={sorted(self.arrays)}, files={sorted(self.files)}, "
            f"created={self.created!r}, carrousel_version={self.carrousel_version!r})"
        )

    def save(self, folder: str | Path, also: Callable[[Path], object] | None = None) -> Path:
        """Writes the bundle into ``folder`` as a whole (temporary folder, then rename).

        ``folder`` may be new, empty, or an earlier bundle of its kind (replaced once the new one is whole).
        ``also(tmp)`` writes a training report into it too (:mod:`carrousel.core.curves`; never loaded).

        Raises:
            BundleError: on weights or arrays that are not finite, assets that are not strict JSON, or an
                existing ``folder`` that holds something else than a bundle of its kind.
            OutputError: when the folder cannot be written.
        """
        target = user_path(folder)
        refuse_other_files(target, None, BUNDLE_FILE, BundleError, self.kind)
        name = MODULES.name_of(type(self.model))
        cfg = getattr(self.model, "config", None)
        if cfg is None:
            raise BundleError(f"{type(self.model).__name__} has no .config; it cannot be rebuilt on load")
        tensors = {
            k: v.detach().to("cpu", copy=True).contiguous() for k, v in self.model.state_dict().items()
        }
        bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
        if bad:
            raise BundleError(
                f"weights {name_some(bad, 3, quote=True)} hold NaN or infinite values; the model is not saved"
            )
        for key, arr in self.arrays.items():
            if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
                raise BundleError(f"array {key!r} holds NaN or infinite values; the bundle is not saved")
        for key in self.files:
            check_asset_name(key)
        manifest: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_FORMAT_VERSION,
            "kind": self.kind,
            "carrousel_version": self.carrousel_version,
            "versions": dict(self.versions),
            "created": self.created,
            "module": name,
            "config": to_dict(cfg),
            "assets": dict(self.assets),
            "data": dict(self.data),
        }
        check_strict_json(manifest, f"bundle {self.kind}")
        contents: dict[str, bytes] = {WEIGHTS_FILE: save(tensors, metadata={"kind": self.kind})}
        if self.arrays:
            contents[ARRAYS_FILE] = np_save({k: np.ascontiguousarray(v) for k, v in self.arrays.items()})
        contents.update({f"{ASSETS_DIR}/{k}": bytes(v) for k, v in self.files.items()})
        manifest["files"] = {
            rel: {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
            for rel, blob in contents.items()
        }
        with atomic_dir(target) as tmp:
            for rel, blob in contents.items():
                path = tmp / rel
                path.parent.mkdir(exist_ok=True)
                _write(path, blob)
            _write(tmp / BUNDLE_FILE, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
            if also is not None:
                also(tmp)
        logger.debug("saved bundle %s (%s) to %s", self.kind, name, target)
        return target

    @classmethod
    def load(
        cls,
        folder: str | Path,
        kind: str | Iterable[str] | None = None,
        map_location: str | torch.device = "cpu",
    ) -> Bundle:
        """Same as :func:`load_bundle`."""
        return load_bundle(folder, kind=kind, map_location=map_location)


def is_bundle(folder: str | Path) -> bool:
    """True when ``folder`` holds a bundle manifest (nothing else is checked)."""
    return (user_path(folder) / BUNDLE_FILE).is_file()


def read_manifest(folder: str | Path, kind: str | Iterable[str] | None = None) -> dict[str, Any]:
    """Reads and checks ``bundle.json`` of ``folder`` without touching the weights; inside
    :func:`pinned_bundles` (every command) the files are read and kept too, for a later :func:`load_bundle`.

    Args:
        folder: a bundle folder.
        kind: the kind (or kinds) the caller accepts; None accepts any.

    Raises:
        BundleError: the folder or manifest is missing, damaged, of another kind or an older layout.
        FormatVersionError: the bundle was written by a newer carrousel.
    """
    root = user_path(folder)
    if pins_active():
        return _snapshot(root, kind)[0]
    return _manifest_doc(root, _manifest_bytes(root), kind)


def _manifest_bytes(root: Path) -> bytes:
    """``root``'s ``bundle.json``, read by path (errors name what the folder lacks)."""
    if not root.exists():
        raise BundleError(f"model folder {root} not found; check the path or train a model into it")
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder; a model is a folder holding {BUNDLE_FILE}")
    path = root / BUNDLE_FILE
    if not path.is_file():
        old = " (config.json: a save_module folder, which load_module reads, or an older carrousel's model: train it again)"
        hint = old if (root / "config.json").is_file() else ""
        raise BundleError(
            f"{root} holds no {BUNDLE_FILE}, so it is not a carrousel model{hint}; point to the folder a "
            "train command wrote (its --out) or train one into it"
        )
    try:
        return read_at(root, None, BUNDLE_FILE, _MAX_MANIFEST_BYTES)
    except (ValueError, OSError) as exc:
        raise BundleError(
            f"{path} is damaged ({exc.__class__.__name__}); train or save the model again"
        ) from None


def _manifest_doc(root: Path, raw: bytes, kind: str | Iterable[str] | None) -> dict[str, Any]:
    """The checked manifest of ``root`` from the bytes of its ``bundle.json``."""
    path = root / BUNDLE_FILE
    try:
        doc = loads_finite(raw.decode("utf-8"))  # NaN, Infinity, 1e999: damaged
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(
            f"{path} is damaged ({exc.__class__.__name__}); train or save the model again"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{path} is not a carrousel bundle manifest; point to a model folder")
    found = doc.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool):
        raise BundleError(f"{path} has no valid format_version; train or save the model again")
    if found > BUNDLE_FORMAT_VERSION:
        raise FormatVersionError(
            f"{root} was written by a newer carrousel ({doc.get('carrousel_version', '?')}, bundle format "
            f"{found}); this one reads format {BUNDLE_FORMAT_VERSION}: upgrade carrousel ({upgrade_command(doc)})"
        )
    if found < BUNDLE_FORMAT_VERSION:
        raise FormatVersionError(f"{root} uses bundle format {found}, no longer read; train it again")
    for key, typ in (("kind", str), ("module", str), ("config", dict), ("assets", dict), ("files", dict)):
        if not isinstance(doc.get(key), typ):
            raise BundleError(f"{path} is damaged (no valid {key!r}); train or save the model again")
    try:  # a blank kind or a path (a hand-edited manifest) is no kind Bundle takes
        check_kind(doc["kind"])
    except BundleError:
        raise BundleError(f"{path} is damaged (no valid 'kind'); train or save the model again") from None
    if kind is not None:
        wanted = (kind,) if isinstance(kind, str) else tuple(kind)
        if doc["kind"] not in wanted:
            raise BundleError(
                f"{root} holds a model of kind {doc['kind']}, not {' or '.join(wanted)}; point to the right model"
            )
    return doc


def _snapshot(root: Path, kind: str | Iterable[str] | None) -> _Read:
    """The checked manifest and the bytes of every file it lists, all read from one folder even while
    another run replaces it (:mod:`.bundle_files`); a folder removed under the reader is read again, the
    last try by path (its errors name what is wrong). Pinned (:mod:`.bundle_pins`): the same files again."""
    if (held := pinned(root)) is not None:
        return _manifest_doc(root, held[0], kind), read_kept(root, held[1], BundleError)

    def read(fd: int | None) -> _Read:  # by path (None): _manifest_bytes names what the folder lacks
        raw = _manifest_bytes(root) if fd is None else read_at(root, fd, BUNDLE_FILE, _MAX_MANIFEST_BYTES)
        return _read_listed(root, fd, raw, kind)

    return read_snapshot(root, read)


def _read_listed(root: Path, fd: int | None, raw: bytes, kind: str | Iterable[str] | None) -> _Read:
    """The manifest ``raw`` checked, the files it lists read through ``fd`` (None: by path), both pinned."""
    doc = _manifest_doc(root, raw, kind)
    check_listing(root, doc)
    kept: Kept = {}
    try:
        blobs = read_listed(root, fd, doc["files"], kept if pins_active() else None)
    except BaseException:
        release(kept)
        raise
    pin(root, raw, kept)  # large files kept open, not their bytes; small ones as bytes
    return doc, blobs


def _build(root: Path, doc: dict[str, Any], blob: bytes) -> torch.nn.Module:
    """Builds the network from its config, checking the stored shapes before allocating anything."""
    fix = fix_or_upgrade(doc)  # a newer carrousel's config field or value: upgrade, else train it again
    cls, cfg = registered_config(doc, BundleError, root, root / BUNDLE_FILE, fix)
    weights = root / WEIGHTS_FILE
    stored = header_shapes(blob, weights)  # the header only
    try:
        expected = state_shapes(lambda: cls(cfg))  # type: ignore[call-arg]
    except CarrouselError as exc:
        raise BundleError(f"{root / BUNDLE_FILE} holds an invalid config ({exc}); {fix}") from None
    except (TypeError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise BundleError(f"{root / BUNDLE_FILE}: the network cannot be built ({exc}); {fix}") from None
    if expected != stored:
        diff = sorted(k for k in set(expected) | set(stored) if expected.get(k) != stored.get(k))
        raise BundleError(
            f"{weights} does not match the network of its config (differs at {name_some(diff, 3, quote=True)}); "
            "the files were mixed or changed, train the model again"
        )
    return cls(cfg)  # type: ignore[call-arg]


def load_bundle(
    folder: str | Path, kind: str | Iterable[str] | None = None, map_location: str | torch.device = "cpu"
) -> Bundle:
    """Loads a bundle written by :meth:`Bundle.save` (no pickle involved).

    Args:
        folder: the bundle folder.
        kind: the kind (or kinds) the caller accepts; None accepts any.
        map_location: device of the returned network (``"cpu"``, ``"cuda"``, ``"auto"``...).

    Returns:
        The bundle, its network in evaluation mode.

    Raises:
        BundleError: a file is missing, truncated or changed, the kind is not accepted, the config is
            invalid or does not fit the weights, or the weights or arrays hold NaN/inf.
        FormatVersionError: the bundle was written by a newer carrousel.
    """
    root = user_path(folder)
    doc, blobs = _snapshot(root, kind)
    model = _build(root, doc, blobs[WEIGHTS_FILE])
    weights = root / WEIGHTS_FILE
    try:
        tensors = load(blobs[WEIGHTS_FILE])
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{weights} is damaged ({exc}); train or save the model again") from None
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise BundleError(
            f"{weights} holds NaN or infinite weights ({name_some(bad, 3, quote=True)}); train the model again"
        )
    try:
        keep_saved_dtypes(model, tensors)  # a float64 (bf16, fp16) model loads as it was saved
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise BundleError(
            f"{weights} does not fit its config ({str(exc).splitlines()[-1]}); train again"
        ) from None
    arrays: dict[str, np.ndarray] = {}
    if ARRAYS_FILE in doc["files"]:
        try:
            arrays = dict(np_load(blobs[ARRAYS_FILE]))
        except (SafetensorError, OSError, ValueError) as exc:
            raise BundleError(f"{root / ARRAYS_FILE} is damaged ({exc}); train the model again") from None
        for key, arr in arrays.items():
            if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
                raise BundleError(f"{root / ARRAYS_FILE}: {key!r} holds NaN or infinite values; train again")
    assets_dir = f"{ASSETS_DIR}/"
    files = {rel[len(assets_dir) :]: blob for rel, blob in blobs.items() if rel.startswith(assets_dir)}
    model = model.to(pick_device(map_location)).eval()
    return Bundle(
        kind=doc["kind"],
        model=model,
        assets=doc["assets"],
        arrays=arrays,
        files=files,
        data=doc["data"] if isinstance(doc.get("data"), dict) else {},
        created=str(doc.get("created", "?")),
        carrousel_version=str(doc.get("carrousel_version", "?")),
        versions=software_versions(doc),
    )
