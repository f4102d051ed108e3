"""Deployment bundles: a core bundle plus an ONNX file of its network, and the measurements of a report.

One helper for every domain's ``export`` command. :func:`export_bundle` writes the domain's bundle
unchanged (``bundle.json``, ``model.safetensors``, arrays, assets: never a pickle) with the ONNX file
(float32 or int8) added under ``assets/`` and an ``export`` asset describing it::

    panel-int8/
      bundle.json              ... "assets": {"export": {"precision": "int8", "file": "model.int8.onnx",
                               "exporter": "torchscript", "inputs": [...], "check_max_abs_diff": ...}}
      model.safetensors        the float32 weights (still used where gradients are needed)
      assets/model.int8.onnx

int8 is dynamic int8 of ``ExportSpec.int8_ops`` (LSTM/GRU/MatMul/Gemm: weights int8, activations
quantized per batch; embedding tables uint8 unless that alone puts the graph outside ``int8_atol``) and,
where the spec gives ``calibration`` batches of the training data, static int8 (QDQ, per channel) of
``ExportSpec.static_ops`` first (convolutions, their ReLU and max-pool: :mod:`~carrousel.core.export.quant`;
ONNX Runtime's dynamic int8 convolution is slower than its float32 one).

The bundle's checksums cover the ONNX file as well. A domain loader calls :func:`load_runtime` and, when
it returns an :class:`~carrousel.core.export.onnx.OnnxModule`, runs that instead of the PyTorch network.
A network run in more than one call pattern (a seq2seq model: the encoder once, then the decoder step per
token) exports its other graphs as ``ExportSpec.parts``: each is written beside the main file as
``<part>.<precision>.onnx``, described under ``parts`` of the ``export`` asset, checked the same way,
and loaded with ``load_runtime(bundle, part=...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.bundle import BUNDLE_FILE, Bundle
from carrousel.core.curves import write_report
from carrousel.core.errors import ExportError
from carrousel.core.export.choices import DeployPrecision, Exporter, check_exporter
from carrousel.core.export.dynamic import (
    EMBEDDING_OPS,
    INT8_OPS,
    int8_ops_supported,
    int8_quantized,
    quantize_int8,
)
from carrousel.core.export.onnx import OnnxModule, export_onnx, verify_onnx
from carrousel.core.export.quant import STATIC_OPS, quantize_static_int8
from carrousel.core.export.report import DeploymentReport
from carrousel.core.files import check_output_dir, check_spares
from carrousel.core.option_names import option

__all__ = [
    "EXPORT_ASSET",
    "ExportSpec",
    "check_export_out",
    "export_bundle",
    "export_measured",
    "load_runtime",
    "strip_export",
]

logger = logging.getLogger(__name__)

EXPORT_ASSET = "export"  # the bundle asset describing the ONNX file
R = TypeVar("R")


def check_export_out(out: str | Path, source: str | Path, kind: str | None = None) -> None:
    """Fails before any work when an ``export`` command's ``--out`` cannot take its bundle: writing it would
    replace the model folder ``source`` it reads (:func:`~carrousel.core.files.check_spares`), a folder of
    other files, one without ``bundle.json``, or (with ``kind``, the kind exported) a model of another kind
    (:func:`~carrousel.core.files.check_output_dir`).

    Raises:
        ConfigError: naming the folder and the fix.
    """
    check_spares(out, source)
    check_output_dir(out, option("out"), marker=BUNDLE_FILE, kind=kind)  # other files are kept, not replaced


@dataclass(frozen=True)
class ExportSpec:
    """How to export a domain's network.

    Attributes:
        graph: the module whose forward is exported (e.g. a wrapper that averages both DNA strands).
        example: positional example inputs.
        check_inputs: inputs of other batch size / length, to verify the file on.
        input_names: one name per input.
        dynamic: dynamic axes per input name (see :func:`~carrousel.core.export.onnx.export_onnx`).
        output_names: one name per output.
        atol: largest |fp32 ONNX - eager| accepted at ``check_inputs``.
        int8_ops: node types given int8 weights (see :func:`~carrousel.core.export.dynamic.quantize_int8`).
        meta: extra JSON fields of the ``export`` asset.
        parts: further graphs of the same network, by name (their own ``parts`` and ``meta`` are ignored).
        output_atol: per output name, its own largest |fp32 ONNX - eager| (default ``atol``).
        int8_atol: largest |int8 ONNX - eager| accepted at ``check_inputs`` (int8 weights cost accuracy;
            the domain's task metric is the real measure).
        calibration: batches of positional inputs from the model's TRAINING data; when given, int8 also
            quantizes ``static_ops`` statically (see :func:`~carrousel.core.export.quant.quantize_static_int8`).
        static_ops: node types given static int8 when ``calibration`` is given.
        calibration_percentile: None: activation ranges from min/max of the calibration batches; a value:
            cut at that percentile (batches of one shape; see ``quantize_static_int8``).
    """

    graph: nn.Module
    example: tuple[Tensor, ...]
    check_inputs: tuple[Tensor, ...]
    input_names: tuple[str, ...]
    dynamic: Mapping[str, Mapping[int, str]]
    output_names: tuple[str, ...] = ("output",)
    atol: float = 1e-4
    int8_atol: float = 0.5
    int8_ops: tuple[str, ...] = INT8_OPS
    meta: Mapping[str, Any] = field(default_factory=dict)
    parts: Mapping[str, ExportSpec] = field(default_factory=dict)
    output_atol: Mapping[str, float] = field(default_factory=dict)
    calibration: tuple[tuple[Tensor, ...], ...] = ()
    static_ops: tuple[str, ...] = STATIC_OPS
    calibration_percentile: float | None = None


def strip_export(bundle: Bundle) -> Bundle:
    """The bundle without an earlier export: its ONNX files and ``export`` asset dropped, the weights kept, so
    it loads as the eager network it was exported from (re-exporting an exported bundle starts from it and
    replaces its ONNX file).

    Args:
        bundle: a bundle, exported or not (one that is not comes back equal).

    Returns:
        The bundle without the ``export`` asset and the files it names.
    """
    old = bundle.assets.get(EXPORT_ASSET)
    files = dict(bundle.files)
    if isinstance(old, dict):
        parts = old.get("parts")
        for entry in (old, *(parts.values() if isinstance(parts, dict) else ())):
            if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                files.pop(entry["file"], None)
    assets = {k: v for k, v in bundle.assets.items() if k != EXPORT_ASSET}
    return replace(bundle, assets=assets, files=files)


def export_bundle(
    bundle: Bundle,
    folder: str | Path,
    spec: ExportSpec,
    precision: DeployPrecision | str = DeployPrecision.INT8,
    exporter: Exporter | str = Exporter.TORCHSCRIPT,
) -> tuple[Path, dict[str, Any]]:
    """Writes ``bundle`` with an ONNX file of ``spec.graph`` into ``folder`` (as a whole).

    Returns:
        The folder and the ``export`` asset written (precision, file, exporter, inputs, check figures).

    Raises:
        ExportError: an unknown ``precision`` or ``exporter``, the network cannot be exported, or the file
            does not reproduce it at other sizes.
        BundleError / OutputError: the folder cannot be written (see :meth:`Bundle.save`).
    """
    return _export(bundle, folder, spec, precision, exporter, None)


def export_measured(
    bundle: Bundle,
    folder: str | Path,
    spec: ExportSpec,
    precision: DeployPrecision | str,
    exporter: Exporter | str,
    measure: Callable[[Path, dict[str, Any]], R],
) -> R:
    """:func:`export_bundle`, measured before it replaces ``folder``: ``measure(staged, asset)`` runs on the
    complete new folder under its temporary name (load it, time it, score it there) and its result is
    returned once that folder has taken ``folder``'s place. An export that fails or is interrupted while
    measured (Ctrl-C, SIGTERM, a bad evaluation file) leaves an earlier ``folder`` as it was. A
    :class:`~carrousel.core.export.report.DeploymentReport` result is also written into the new folder as
    ``report.json`` (its ``summary()``, what the ``export`` commands print: :func:`write_report`), so the
    folder keeps the figures with the export, or neither.

    Raises:
        What :func:`export_bundle` raises, and what ``measure`` raises (the new folder is then removed).
    """
    held: list[R] = []

    def measured(tmp: Path, asset: dict[str, Any]) -> None:
        held.append(measure(tmp, asset))
        if isinstance(held[0], DeploymentReport):
            write_report(tmp, held[0].summary())

    _export(bundle, folder, spec, precision, exporter, measured)
    return held[0]


def _export(
    bundle: Bundle,
    folder: str | Path,
    spec: ExportSpec,
    precision: DeployPrecision | str,
    exporter: Exporter | str,
    measure: Callable[[Path, dict[str, Any]], object] | None,
) -> tuple[Path, dict[str, Any]]:
    prec, which = _deploy_precision(precision), check_exporter(exporter)
    for part in spec.parts:  # before any work
        if not part.isidentifier() or part == "model":
            raise ExportError(f"export part name {part!r}: use a Python identifier other than 'model'")
    base = strip_export(bundle)
    blobs: dict[str, bytes] = {}
    name, blob, asset = _export_one(spec, "model", prec, which)
    blobs[name] = blob
    parts: dict[str, Any] = {}
    for part, part_spec in spec.parts.items():
        part_name, part_blob, parts[part] = _export_one(part_spec, part, prec, which)
        blobs[part_name] = part_blob
    asset = {**asset, "exporter": which.value, "torch": torch.__version__, **dict(spec.meta)}
    if parts:
        asset["parts"] = parts
    staged = replace(base, assets={**base.assets, EXPORT_ASSET: asset}, files={**base.files, **blobs})
    out = staged.save(folder, None if measure is None else lambda tmp: measure(tmp, asset))
    logger.info("exported %s (%s, %s) to %s", bundle.kind, prec.value, which.value, out)
    return out, asset


def _deploy_precision(precision: DeployPrecision | str) -> DeployPrecision:
    try:
        return DeployPrecision(precision)
    except ValueError:
        choices = ", ".join(p.value for p in DeployPrecision)
        raise ExportError(f"unknown export precision {precision!r}; choose one of: {choices}") from None


def _export_one(
    spec: ExportSpec, stem: str, prec: DeployPrecision, which: Exporter
) -> tuple[str, bytes, dict[str, Any]]:
    """One graph of ``spec`` exported, checked at other sizes and (int8) quantized: file name, bytes, entry."""
    blob = export_onnx(
        spec.graph,
        spec.example,
        spec.input_names,
        spec.dynamic,
        output_names=spec.output_names,
        exporter=which,
    )
    diff = verify_onnx(
        blob,
        spec.graph,
        spec.check_inputs,
        spec.input_names,
        atol=spec.atol,
        output_names=spec.output_names,
        output_atol=spec.output_atol,
    )
    ops: tuple[str, ...] = ()
    static = list(spec.static_ops) if prec is DeployPrecision.INT8 and spec.calibration else []
    if prec is DeployPrecision.INT8:
        if static:
            blob = quantize_static_int8(
                blob, spec.calibration, spec.input_names, static, spec.calibration_percentile
            )
        blob, diff, ops = _dynamic_int8(blob, spec)
    name = f"{stem}.{prec.value}.onnx"
    entry = {
        "precision": prec.value,
        "file": name,
        "inputs": list(spec.input_names),
        "outputs": list(spec.output_names),
        "dynamic": {k: {str(a): d for a, d in v.items()} for k, v in spec.dynamic.items()},
        "check_shapes": [list(t.shape) for t in spec.check_inputs],
        "check_max_abs_diff": float(diff),
        "int8_ops": list(ops) if prec is DeployPrecision.INT8 else [],
        "static_int8_ops": static,
        "calibration_batches": len(spec.calibration) if static else 0,
        "calibration_percentile": spec.calibration_percentile if static else None,
    }
    return name, blob, entry


def _dynamic_int8(blob: bytes, spec: ExportSpec) -> tuple[bytes, float, tuple[str, ...]]:
    """``blob`` given dynamic int8 of ``spec.int8_ops`` (those the runtime quantizes), checked at
    ``spec.check_inputs`` within ``spec.int8_atol``: the graph, its difference and the ops quantized. The rule
    per model: an embedding table (``EMBEDDING_OPS``) is quantized unless the int8 graph is then outside
    ``int8_atol``; it stays float32 where it is the table that puts it outside (logged), or where quantizing
    it fails (:func:`~carrousel.core.export.dynamic.int8_quantized`: not among the ops returned).
    """
    ops = int8_ops_supported(spec.int8_ops) if spec.int8_ops else ()
    try:
        out, ops = int8_quantized(blob, ops) if ops else (blob, ops)  # ops: those quantized
        return out, _int8_diff(out, spec), ops
    except ExportError as exc:
        plain = tuple(op for op in ops if op not in EMBEDDING_OPS)
        if plain == ops:
            raise
        out = quantize_int8(blob, plain) if plain else blob
        diff = _int8_diff(out, spec)  # outside int8_atol without the table too: that error, not the first
        logger.warning("int8 embedding tables: %s; with them float32 the graph is within it", exc)
        return out, diff, plain


def _int8_diff(blob: bytes, spec: ExportSpec) -> float:
    return verify_onnx(
        blob, spec.graph, spec.check_inputs, spec.input_names, spec.int8_atol, spec.output_names
    )


@check_args
def load_runtime(
    bundle: Bundle, threads: int | None = None, config: Any = None, part: str | None = None
) -> OnnxModule | None:
    """The ONNX Runtime module of an exported bundle; None for a plain bundle.

    Args:
        bundle: a loaded bundle.
        threads: ONNX Runtime intra-op threads (None: ``torch.get_num_threads()``, the process's setting).
        config: set as the module's ``config`` (for callers that read it).
        part: one of ``ExportSpec.parts`` instead of the main graph.

    Raises:
        ExportError: the export asset names a file the bundle lacks, or lacks the part.
        MissingExtraError: the bundle is exported but onnxruntime is not installed.
    """
    asset = bundle.assets.get(EXPORT_ASSET)
    if asset is None:
        return None
    if part is not None:
        parts = asset.get("parts") if isinstance(asset, dict) else None
        if not isinstance(parts, dict) or part not in parts:
            raise ExportError(f"the bundle's export has no {part!r} graph; export it again with this version")
        asset = parts[part]
    name = asset.get("file") if isinstance(asset, dict) else None
    if not isinstance(name, str) or name not in bundle.files:
        raise ExportError(f"the bundle's export names {name!r}, which it does not hold; export it again")
    n = torch.get_num_threads() if threads is None else threads
    return OnnxModule(
        bytes(bundle.files[name]), n, config if config is not None else getattr(bundle.model, "config", None)
    )
