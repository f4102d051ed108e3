"""Deployment bundles: a core bundle plus an ONNX file of its network, and the measurements of a report.

One helper for every domain's ``export`` command. :func:`export_bundle` writes the domain's bundle
unchanged (``bundle.json``, ``model.safetensors``, arrays, assets: never a pickle) with the ONNX file
(float32 or dynamic int8) added under ``assets/`` and an ``export`` asset describing it::

    panel-int8/
      bundle.json              ... "assets": {"export": {"precision": "int8", "file": "model.int8.onnx",
                               "exporter": "torchscript", "inputs": [...], "check_max_abs_diff": ...}}
      model.safetensors        the float32 weights (still used where gradients are needed)
      assets/model.int8.onnx

The bundle's checksums cover the ONNX file as well. A domain loader calls :func:`load_runtime` and, when
it returns an :class:`~carrousel.core.export.onnx.OnnxModule`, runs that instead of the PyTorch network.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.bundle import Bundle
from carrousel.core.errors import ExportError
from carrousel.core.export.onnx import INT8_OPS, Exporter, OnnxModule, export_onnx, quantize_int8, verify_onnx

__all__ = [
    "EXPORT_ASSET",
    "DeployPrecision",
    "ExportSpec",
    "export_bundle",
    "load_runtime",
]

logger = logging.getLogger(__name__)

EXPORT_ASSET = "export"  # the bundle asset describing the ONNX file


class DeployPrecision(enum.StrEnum):
    """Numeric format of the deployed ONNX file."""

    FP32 = "fp32"  # float32 graph, ONNX Runtime's optimisations only
    INT8 = "int8"  # dynamic int8 weights of MatMul/Gemm/LSTM/GRU/Conv (ONNX Runtime quantize_dynamic)


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
        int8_ops: node types given int8 weights (see :func:`~carrousel.core.export.onnx.quantize_int8`).
        meta: extra JSON fields of the ``export`` asset.
        int8_atol: largest |int8 ONNX - eager| accepted at ``check_inputs`` (int8 weights cost accuracy;
            the domain's task metric is the real measure).
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


def _strip(bundle: Bundle) -> Bundle:
    """The bundle without an earlier export (re-exporting an exported bundle replaces its ONNX file)."""
    old = bundle.assets.get(EXPORT_ASSET)
    files = dict(bundle.files)
    if isinstance(old, dict) and isinstance(old.get("file"), str):
        files.pop(old["file"], None)
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
        ExportError: the network cannot be exported, or the file does not reproduce it at other sizes.
        BundleError / OutputError: the folder cannot be written (see :meth:`Bundle.save`).
    """
    prec, which = DeployPrecision(precision), Exporter(exporter)
    base = _strip(bundle)
    blob = export_onnx(
        spec.graph,
        spec.example,
        spec.input_names,
        spec.dynamic,
        output_names=spec.output_names,
        exporter=which,
    )
    diff = verify_onnx(blob, spec.graph, spec.check_inputs, spec.input_names, atol=spec.atol)
    if prec is DeployPrecision.INT8:
        blob = quantize_int8(blob, spec.int8_ops)
        diff = verify_onnx(blob, spec.graph, spec.check_inputs, spec.input_names, atol=spec.int8_atol)
    name = f"model.{prec.value}.onnx"
    asset = {
        "precision": prec.value,
        "file": name,
        "exporter": which.value,
        "inputs": list(spec.input_names),
        "outputs": list(spec.output_names),
        "dynamic": {k: {str(a): d for a, d in v.items()} for k, v in spec.dynamic.items()},
        "check_shapes": [list(t.shape) for t in spec.check_inputs],
        "check_max_abs_diff": float(diff),
        "int8_ops": list(spec.int8_ops) if prec is DeployPrecision.INT8 else [],
        "torch": torch.__version__,
        **dict(spec.meta),
    }
    out = replace(base, assets={**base.assets, EXPORT_ASSET: asset}, files={**base.files, name: blob}).save(
        folder
    )
    logger.info("exported %s (%s, %s) to %s", bundle.kind, prec.value, which.value, out)
    return out, asset


def load_runtime(bundle: Bundle, threads: int | None = None, config: Any = None) -> OnnxModule | None:
    """The ONNX Runtime module of an exported bundle; None for a plain bundle.

    Args:
        bundle: a loaded bundle.
        threads: ONNX Runtime intra-op threads (None: ``torch.get_num_threads()``, the process's setting).
        config: set as the module's ``config`` (for callers that read it).

    Raises:
        ExportError: the export asset names a file the bundle lacks.
        MissingExtraError: the bundle is exported but onnxruntime is not installed.
    """
    asset = bundle.assets.get(EXPORT_ASSET)
    if asset is None:
        return None
    name = asset.get("file") if isinstance(asset, dict) else None
    if not isinstance(name, str) or name not in bundle.files:
        raise ExportError(f"the bundle's export names {name!r}, which it does not hold; export it again")
    n = torch.get_num_threads() if threads is None else threads
    return OnnxModule(
        bytes(bundle.files[name]), n, config if config is not None else getattr(bundle.model, "config", None)
    )
