"""Static int8 quantization of convolutions (ONNX Runtime ``quantize_static``, QDQ format, per channel).

Dynamic int8 (:func:`~carrousel.core.export.dynamic.quantize_int8`) quantizes activations at run time, which
for a convolution means ONNX Runtime's ``ConvInteger`` plus a ``DynamicQuantizeLinear`` of the input and
a rescale of the output: measured 3x SLOWER than its float32 ``Conv`` on a DanQ network at batch 64
(benchmarks/bench_export.py, ``bio``). Static quantization instead fixes the activations' scales from
calibration batches of the model's own training data, and ONNX Runtime fuses ``DequantizeLinear -> Conv
[-> Relu] -> QuantizeLinear`` into one ``QLinearConv`` (int8 weights per output channel, uint8
activations); a ``MaxPool`` after it runs on the uint8 track too, so the float track is only restored after
the pool. Recurrent nodes are left to the dynamic quantizer (``DynamicQuantizeLSTM``), which can be run on
the result.

Needs the ``carrousel-core[export]`` extra, imported at the point of use.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from carrousel.core.errors import ExportError
from carrousel.core.export.dynamic import quantizer_files
from carrousel.core.export.runtime import EXTRA
from carrousel.core.optional import require

__all__ = ["STATIC_OPS", "quantize_static_int8"]

logger = logging.getLogger(__name__)

STATIC_OPS = ("Conv", "Relu", "MaxPool")  # node types given static int8 (QDQ) by default


def _batches(
    calibration: Sequence[Sequence[Tensor | np.ndarray]], input_names: Sequence[str]
) -> Iterator[dict[str, np.ndarray]]:
    for batch in calibration:
        if len(batch) != len(input_names):
            raise ExportError(
                f"a calibration batch has {len(batch)} input(s), the graph {len(input_names)}; "
                "give one array per input"
            )
        yield {
            n: np.ascontiguousarray(v.detach().cpu().numpy() if isinstance(v, Tensor) else v)
            for n, v in zip(input_names, batch, strict=True)
        }


def quantize_static_int8(
    blob: bytes,
    calibration: Sequence[Sequence[Tensor | np.ndarray]],
    input_names: Sequence[str],
    ops: Sequence[str] = STATIC_OPS,
    percentile: float | None = None,
) -> bytes:
    """Static int8 (QDQ) quantization of the ``ops`` node types of an ONNX file.

    Args:
        blob: the float32 ONNX file.
        calibration: batches of positional inputs (one array or tensor per input) from the model's
            training data: the activations' ranges (min/max) are read on them. Never evaluation data.
        input_names: the graph's input names, in the order of each batch.
        ops: node types quantized (convolutions, and the ReLU / max-pool that follow them).
        percentile: None: each activation's range is its min/max over the batches; a value (e.g. 99.99):
            ONNX Runtime's percentile calibration, the range cut at that percentile of the absolute values
            (a few outliers then no longer coarsen every other value's step). Every batch must then have
            the same shapes (pad them alike).

    Returns:
        The ONNX file with ``QuantizeLinear``/``DequantizeLinear`` pairs around the ``ops`` nodes (int8
        weights per output channel, uint8 activations); ONNX Runtime fuses them into ``QLinearConv``.

    Raises:
        ExportError: no calibration batch, a batch of the wrong arity, batches of different shapes with
            ``percentile``, or the quantizer fails.
    """
    if not calibration:
        raise ExportError("static int8 quantization needs calibration batches of the training data")
    quant = require("onnxruntime.quantization", EXTRA, "int8 quantization")
    batches = list(_batches(calibration, input_names))
    if percentile is not None:
        if not 50.0 < percentile <= 100.0:
            raise ExportError(f"calibration percentile {percentile}: give a value in (50, 100]")
        if len({tuple(a.shape for a in b.values()) for b in batches}) > 1:
            raise ExportError("percentile calibration needs batches of one shape; pad them to the same size")
    method = (
        dict(
            calibrate_method=quant.CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": float(percentile)},
        )
        if percentile is not None
        else {}
    )

    class _Reader(quant.CalibrationDataReader):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.items = iter(batches)

        def get_next(self) -> dict[str, Any] | None:
            return next(self.items, None)

    with quantizer_files(blob, "static int8 quantization") as (src, pre, dst):
        with contextlib.redirect_stdout(io.StringIO()):  # histogram calibration prints its progress
            _quantize(quant, src, pre, dst, _Reader(), list(ops), method)
        how = f"percentile {percentile}" if percentile is not None else "min/max"
        logger.info("static int8 of %s on %d calibration batch(es), %s", ", ".join(ops), len(batches), how)
        return dst.read_bytes()


def _quantize(
    quant: Any, src: Path, pre: Path, dst: Path, reader: Any, ops: list[str], method: dict[str, Any]
) -> None:
    quant.quant_pre_process(str(src), str(pre))  # shape inference, so every node can be quantized
    quant.quantize_static(
        str(pre),
        str(dst),
        reader,
        quant_format=quant.QuantFormat.QDQ,
        per_channel=True,
        op_types_to_quantize=ops,
        activation_type=quant.QuantType.QUInt8,
        weight_type=quant.QuantType.QInt8,
        **method,
    )
