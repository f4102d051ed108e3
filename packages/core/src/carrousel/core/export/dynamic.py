"""Dynamic int8 quantization (ONNX Runtime ``quantize_dynamic``), embedding tables included.

Weights of MatMul/Gemm and of the recurrent nodes (``DynamicQuantizeLSTM``) become int8, their activations
quantized per batch at run time. An embedding table (a ``Gather`` whose data is a float32 initializer) is
stored as uint8 with one scale and zero point and read through a ``DequantizeLinear`` of the rows gathered:
a 8000 x 128 table is 1 MiB instead of 4, most of a small text model's file. A ``Gather`` of computed
values (shapes, the rows a packed sequence reorders) is left alone by the quantizer.

Where the installed ONNX Runtime's dynamic quantizer has no ``Gather`` (older releases), or quantizing
the table fails, or its result does not load, the table stays float32 (:data:`EMBEDDING_OPS` dropped,
logged): the file is then what it was before embeddings were quantized.

Needs the ``carrousel-core[export]`` extra, imported at the point of use.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from carrousel.core.errors import ExportError
from carrousel.core.export.runtime import EXTRA, onnx_session
from carrousel.core.optional import require

__all__ = [
    "EMBEDDING_OPS",
    "INT8_OPS",
    "int8_ops_supported",
    "int8_quantized",
    "quantize_int8",
    "quantizer_files",
]

logger = logging.getLogger(__name__)

EMBEDDING_OPS = ("Gather",)  # embedding look-ups: uint8 tables where the runtime quantizes them

INT8_OPS = ("MatMul", "Gemm", "LSTM", "GRU", *EMBEDDING_OPS)  # node types quantized by default (ONNX
# Runtime's int8 Conv kernel, ConvInteger, measured 2-3x slower than its float32 Conv on this kind of CPU:
# convolutions stay float32 here; calibrated static int8 of convolutions is carrousel.core.export.quant)


def int8_ops_supported(ops: Sequence[str]) -> tuple[str, ...]:
    """``ops`` less the embedding ops (:data:`EMBEDDING_OPS`) the installed ONNX Runtime's dynamic quantizer
    does not cover (its ``IntegerOpsRegistry``); the other ops are passed on as given (the quantizer skips
    types it has no kernel for).
    """
    registry = require("onnxruntime.quantization.registry", EXTRA, "int8 quantization")
    covered = set(getattr(registry, "IntegerOpsRegistry", {}))
    return tuple(op for op in ops if op not in EMBEDDING_OPS or op in covered)


def quantize_int8(blob: bytes, ops: Sequence[str] = INT8_OPS) -> bytes:
    """Dynamic int8 quantization (ONNX Runtime ``quantize_dynamic``): int8 weights of the ``ops`` node
    types (MatMul/Gemm, LSTM and GRU by default: ``DynamicQuantizeLSTM``...), uint8 embedding tables
    (``Gather``, see the module's notes; float32 where the runtime cannot), activations quantized per batch
    at run time; the rest stays float32.

    Raises:
        ExportError: when ONNX Runtime's quantizer fails.
    """
    return int8_quantized(blob, ops)[0]


def int8_quantized(blob: bytes, ops: Sequence[str] = INT8_OPS) -> tuple[bytes, tuple[str, ...]]:
    """:func:`quantize_int8`'s graph and the node types it quantized: ``ops`` less the embedding ops where
    the tables stayed float32 (what a bundle records, :func:`~carrousel.core.export.deploy.export_bundle`).

    Raises:
        ExportError: when ONNX Runtime's quantizer fails.
    """
    wanted = tuple(ops)
    supported = int8_ops_supported(wanted)
    if supported != wanted:
        logger.info("this ONNX Runtime does not quantize %s: embedding tables stay float32", wanted)
    if not any(op in EMBEDDING_OPS for op in supported):
        return _quantized(blob, supported), supported
    plain = tuple(op for op in supported if op not in EMBEDDING_OPS)
    try:
        out = _quantized(blob, supported)
        onnx_session(out, threads=1)  # the runtime loads it (a uint8 table it could not read: no file)
    except Exception as exc:
        logger.warning("int8 embedding tables failed (%s); they stay float32", str(exc).splitlines()[0][:200])
        return _quantized(blob, plain), plain
    return out, supported


def _quantized(blob: bytes, ops: Sequence[str]) -> bytes:
    quant = require("onnxruntime.quantization", EXTRA, "int8 quantization")
    with quantizer_files(blob, "int8 quantization") as (src, _, dst):
        quant.quantize_dynamic(
            str(src), str(dst), weight_type=quant.QuantType.QInt8, op_types_to_quantize=list(ops)
        )
        return dst.read_bytes()


@contextlib.contextmanager
def quantizer_files(blob: bytes, what: str) -> Iterator[tuple[Path, Path, Path]]:
    """The files of one ONNX Runtime quantizer run: ``(fp32, pre, int8)`` paths in a temporary folder,
    ``fp32`` holding ``blob`` (``pre`` for a pre-processing step). The quantizer's advice on the root
    logger is silenced meanwhile, and its failure becomes one ``ExportError`` line ("``what`` failed: ...").
    """
    with tempfile.TemporaryDirectory() as tmp:
        src, pre, dst = (Path(tmp) / f"{n}.onnx" for n in ("fp32", "pre", "int8"))
        src.write_bytes(blob)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantizer logs advice on the root logger
        try:
            yield src, pre, dst
        except Exception as exc:
            raise ExportError(f"{what} failed: {str(exc).splitlines()[0]}") from None
        finally:
            root.setLevel(level)
