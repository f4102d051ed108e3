"""The export choices a command line offers (torch-free, so that ``--help`` and usage errors stay fast)."""

from __future__ import annotations

import enum

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError

__all__ = ["DeployPrecision", "Exporter", "InferencePrecision", "check_precision_name", "check_variant"]


class Exporter(enum.StrEnum):
    """Which PyTorch ONNX exporter to use."""

    TORCHSCRIPT = "torchscript"
    DYNAMO = "dynamo"


class DeployPrecision(enum.StrEnum):
    """Numeric format of the deployed ONNX file."""

    FP32 = "fp32"  # float32 graph, ONNX Runtime's optimisations only
    INT8 = "int8"  # dynamic int8 of ExportSpec.int8_ops; static (calibrated) int8 of its static_ops


class InferencePrecision(enum.StrEnum):
    """Numeric format a PyTorch network runs inference in (``--precision`` of the domain commands that run
    a model; :func:`carrousel.core.export.reduced_precision` applies it, :func:`carrousel.core.device.inference_dtype`
    checks it against the device)."""

    FP32 = "fp32"  # float32, as trained
    BF16 = "bf16"  # bfloat16 autocast: CPU (slower than fp32 there, measured) and CUDA GPUs with bf16
    FP16 = "fp16"  # float16 autocast: CUDA / MPS only (oneDNN's CPU float16 LSTM is not offered)


def check_precision_name(value: object, error: type[Exception] = ConfigError) -> InferencePrecision:
    """``value`` as an :class:`InferencePrecision` (a member, or its name) for a config's ``precision``
    field, in every domain the same: a ``--config`` file's wrong value reads ``[fit] in run.toml: precision
    must be one of fp32, bf16, fp16, not 'fp8'`` (a field typed :class:`InferencePrecision` reaches this
    check whatever its kind, so ``precision = 3`` says the same; a ``str`` field would be refused first as
    "expected a string"). Whether the device runs it is :func:`carrousel.core.device.check_precision`'s
    question.

    Raises:
        error: one line naming the field, the allowed values and the value given.
    """
    name = value.value if isinstance(value, enum.Enum) else value
    options = [m.value for m in InferencePrecision]
    if not isinstance(name, str) or name not in options:
        raise error(f"precision must be one of {', '.join(options)}, not {name!r}")
    return InferencePrecision(name)


@check_args
def check_variant(prune: float, distill: int, error: type[Exception] = ConfigError) -> None:
    """Checks a domain export's smaller-model options: ``--prune F`` (a share in [0, 1)) and ``--distill H``
    (a student's hidden units in [0, 4096]), 0 meaning none; at most one of them.

    Raises:
        error: an option out of range, or both given.
    """
    if not 0 <= distill <= 4096 or isinstance(distill, bool) or not isinstance(distill, int):
        raise error(f"--distill {distill}: give the student's hidden units, in [0, 4096] (0: none)")
    if prune and distill:
        raise error("--distill and --prune are two variants of the export; give one of them")
