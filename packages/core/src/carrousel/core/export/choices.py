"""The export choices a command line offers (torch-free, so that ``--help`` and usage errors stay fast)."""

from __future__ import annotations

import enum

__all__ = ["DeployPrecision", "Exporter"]


class Exporter(enum.StrEnum):
    """Which PyTorch ONNX exporter to use."""

    TORCHSCRIPT = "torchscript"
    DYNAMO = "dynamo"


class DeployPrecision(enum.StrEnum):
    """Numeric format of the deployed ONNX file."""

    FP32 = "fp32"  # float32 graph, ONNX Runtime's optimisations only
    INT8 = "int8"  # dynamic int8 of ExportSpec.int8_ops; static (calibrated) int8 of its static_ops
