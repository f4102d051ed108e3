"""Saved ``bio`` models: a core bundle (:mod:`carrousel.core.bundle`) of kind ``"bio.danq"``::

    model/
      bundle.json               kind bio.danq, the DanQ config, assets (outputs, calibration settings,
                                the one-hot base order: ``one_hot_bases`` "ACGT", rows of the input)
                                and data (provenance: command, seed, windows, trainer settings,
                                validation figures, input files' sha256)
      model.safetensors         the network's weights
      arrays.safetensors        "null": (K, N) float32 logits on shuffled background (the calibration);
                                "background": (K, M) logits on held-out real background (optional)
      assets/motifs.jaspar      one motif per output, JASPAR format
      assets/model.int8.onnx    only in an exported bundle (``bio export``): the strand-averaged network
                                as ONNX (fp32 or int8), which then scores windows (the weights above
                                still give scan attributions)

Besides core's checks (checksums, kind, format version, config bounds before any allocation, finite
weights and arrays), loading checks what is bio's: the motifs asset parses into valid matrices, one per
output, the null holds at least :data:`MIN_NULL` scores per output, the calibration's tail fraction
lies in (0, 1) and the recorded one-hot base order is this code's (:data:`carrousel.bio.dna.ALPHABET`; a
bundle saved before it was recorded has none and loads). Re-exported by :mod:`carrousel.bio.pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.dna import ALPHABET
from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
from carrousel.bio.models import DanQ, MotifModel
from carrousel.bio.motifs import parse_motifs, write_jaspar
from carrousel.core.bundle import Bundle, is_bundle, load_bundle
from carrousel.core.device import check_inference
from carrousel.core.errors import BundleError
from carrousel.core.export.deploy import load_runtime
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.core.provenance import exported_precision, fix_or_upgrade

__all__ = [
    "KIND",
    "MIN_NULL",
    "default_model_path",
    "from_pretrained",
    "load_model",
    "save_model",
    "to_bundle",
]

KIND = "bio.danq"
MOTIFS_FILE = "motifs.jaspar"
NULL_ARRAY = "null"
BACKGROUND_ARRAY = "background"
MIN_NULL = 20  # null scores per output a saved calibration must hold
BASES_ASSET = "one_hot_bases"  # the asset recording the one-hot rows' base order (ALPHABET)


def default_model_path() -> Path:
    """Folder of the panel model shipped inside the package."""
    return Path(str(resources.files("carrousel.bio").joinpath("panel")))


def to_bundle(model: MotifModel) -> Bundle:
    """The core bundle of a model (network, motifs, calibration, provenance)."""
    arrays = {NULL_ARRAY: model.calibration.null.astype(np.float32)}
    if model.background is not None:
        arrays[BACKGROUND_ARRAY] = model.background.null.astype(np.float32)
    return Bundle(
        kind=KIND,
        model=model.model,
        assets={
            "outputs": [{"id": m.id, "name": m.name} for m in model.motifs],
            "calibration": {"tail_fraction": model.calibration.tail_fraction},
            BASES_ASSET: ALPHABET,  # the network's input rows: a reader without carrousel needs the order
        },
        arrays=arrays,
        files={MOTIFS_FILE: write_jaspar(model.motifs).encode("utf-8")},
        data=model.info,
    )


def save_model(model: MotifModel, folder: str | Path, also: Callable[[Path], object] | None = None) -> Path:
    """Saves a trained model as a ``bio.danq`` bundle, the folder written as a whole (with the files
    ``also`` writes into it: see :meth:`carrousel.core.bundle.Bundle.save`).

    Raises:
        BundleError: ``folder`` holds something other than a bundle, or a value is not finite.
        OutputError: the folder cannot be written.
    """
    return to_bundle(model).save(folder, also)


def load_model(path: str | Path | None = None, device: str = "cpu", precision: str = "fp32") -> MotifModel:
    """Loads a model saved by :func:`save_model` (default: the packaged 24-factor panel).

    Args:
        path: the model folder.
        device: where the network runs: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``.
        precision: ``"fp32"``, or ``"bf16"`` / ``"fp16"`` autocast of the network (not for an exported model).

    Raises:
        BundleError: the folder is missing, damaged, changed or not a carrousel-bio model.
        ConfigError: a precision the device (or an exported model) cannot run.
    """
    folder = user_path(path) if path is not None else default_model_path()
    if folder.is_dir() and not is_bundle(folder):
        old = (
            " (a model saved by an older carrousel: train it again)"
            if (folder / "config.json").is_file()
            else ""
        )
        raise BundleError(
            f"{folder} is not a carrousel-bio model folder (no bundle.json){old}; "
            f"train one with 'bio train -o DIR', or leave out {option('model')} for the packaged panel"
        )
    bundle = load_bundle(folder, kind=KIND, map_location=device)
    network = bundle.model
    if not isinstance(network, DanQ) or MOTIFS_FILE not in bundle.files or NULL_ARRAY not in bundle.arrays:
        raise BundleError(
            f"{folder} lacks the network, motifs or calibration of a bio.danq model; {fix_or_upgrade(bundle)}"
        )
    bases = bundle.assets.get(BASES_ASSET, ALPHABET)  # absent: saved before it was recorded, in this order
    if bases != ALPHABET:
        raise BundleError(
            f"{folder}: its network reads one-hot rows in the base order {bases!r}, this carrousel in "
            f"{ALPHABET!r}; its scores would be of other bases: {fix_or_upgrade(bundle)}"
        )
    source = str(folder / "assets" / MOTIFS_FILE)
    try:
        motifs = parse_motifs(bundle.files[MOTIFS_FILE].decode("utf-8", "replace"), ".jaspar", source)
    except (MotifFormatError, MotifNotFoundError) as exc:
        raise BundleError(f"{exc}; the model's motifs are damaged: {fix_or_upgrade(bundle)}") from None
    outputs = bundle.assets.get("outputs")
    if outputs is not None and not (isinstance(outputs, list) and all(isinstance(o, dict) for o in outputs)):
        raise BundleError(
            f"{folder}: the outputs asset is not a list of motif IDs and names; {fix_or_upgrade(bundle)}"
        )
    if isinstance(outputs, list) and len(outputs) == len(motifs):
        # IDs and names as saved: a JASPAR header ends the name at its first space
        motifs = [
            replace(m, id=str(o.get("id", m.id)), name=str(o.get("name", m.name)))
            for m, o in zip(motifs, outputs, strict=True)
        ]
    null = np.asarray(bundle.arrays[NULL_ARRAY]).astype(np.float64)
    k = network.config.n_outputs
    if len(motifs) != k or null.ndim != 2 or null.shape[0] != k or null.shape[1] < MIN_NULL:
        raise BundleError(
            f"{folder}: {len(motifs)} motifs and a null of shape {null.shape} for {k} outputs (at least "
            f"{MIN_NULL} null scores each); {fix_or_upgrade(bundle)}"
        )
    cal = bundle.assets.get("calibration", {})
    tail = cal.get("tail_fraction", 0.05) if isinstance(cal, dict) else None
    if not (isinstance(tail, int | float) and 0.0 < tail < 1.0):
        raise BundleError(
            f"{folder}: calibration tail fraction {tail!r} is not in (0, 1); {fix_or_upgrade(bundle)}"
        )
    calibration = NullCalibration(null, float(tail))
    background = None
    if BACKGROUND_ARRAY in bundle.arrays:
        bg = np.asarray(bundle.arrays[BACKGROUND_ARRAY]).astype(np.float64)
        if bg.ndim != 2 or bg.shape[0] != k or bg.shape[1] < MIN_NULL:
            raise BundleError(
                f"{folder}: a background null of shape {bg.shape} for {k} outputs (at least {MIN_NULL} "
                f"scores each); {fix_or_upgrade(bundle)}"
            )
        background = NullCalibration(bg, float(tail))
    runtime = load_runtime(
        bundle, config=network.config
    )  # an exported bundle (bio export) runs its ONNX file
    check_inference(precision, next(network.parameters()).device, runtime is not None)
    exported = exported_precision(bundle.assets)
    return MotifModel(
        network, motifs, calibration, dict(bundle.data), background, runtime, precision, exported
    )


from_pretrained = load_model
"""Alias of :func:`load_model` (``from_pretrained(path)``, as other libraries name it)."""
