"""ONNX export, verification in ONNX Runtime and an ONNX Runtime module (dynamic int8: :mod:`.dynamic`).

Needs the ``carrousel-core[export]`` extra (onnx, onnxruntime, onnxscript), imported at the point of use.

Two exporters (``Exporter``), both run on :func:`~carrousel.core.export.graph.exportable`'s copy:

* ``torchscript`` (``torch.onnx.export(dynamo=False)``, the default): one ONNX ``LSTM``/``GRU``/``RNN`` node
  per recurrent module, which ONNX Runtime's dynamic quantizer turns into ``DynamicQuantizeLSTM``. Exports
  lstm, gru and rnn encoders, with or without lengths, stacked, bidirectional, residual.
* ``dynamo`` (``torch.onnx.export(dynamo=True)``, through ``torch.export``): exports lstm and gru encoders
  with dynamic batch and time; rnn (tanh/relu) graphs come out fixed to the example's shapes with torch
  2.14 / onnxscript 0.7: an axis asked to be dynamic and written fixed is an ExportError after export.

Both refuse projected LSTMs (``proj_size``) before exporting: the ONNX ``LSTM`` node has no projection.

Every export is checked in ONNX Runtime at a batch size and sequence length different from the example
(:func:`verify_onnx`), the common failure of exported recurrent models being a graph silently fixed to
the example's shapes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.core.device import evaluating
from carrousel.core.errors import ExportError, ShapeError
from carrousel.core.export.choices import Exporter, check_exporter
from carrousel.core.export.graph import (
    PositionalGraph,
    check_torchscript_only,
    exportable,
    fresh_rnn_dispatch,
)
from carrousel.core.export.runtime import (
    EXTRA,
    OnnxModule,
    check_ids,
    check_not_empty,
    onnx_session,
    run_onnx,
)
from carrousel.core.export.unsort import drop_length_sort
from carrousel.core.optional import require

__all__ = [
    "EXTRA",
    "OnnxModule",
    "export_onnx",
    "onnx_session",
    "run_onnx",
    "verify_onnx",
]

logger = logging.getLogger(__name__)

OPSET = 17  # ONNX opset of the TorchScript exporter (the dynamo exporter picks its own, >= 18)


def export_onnx(
    model: nn.Module,
    example: Sequence[Tensor],
    input_names: Sequence[str],
    dynamic: Mapping[str, Mapping[int, str]],
    *,
    output_names: Sequence[str] = ("output",),
    exporter: Exporter | str = Exporter.TORCHSCRIPT,
    check_inputs: Sequence[Tensor] | None = None,
    atol: float = 1e-4,
) -> bytes:
    """Exports ``model`` (its :func:`exportable` copy) to ONNX and returns the file's bytes.

    Args:
        model: the network, on any device (a CPU copy is exported: ONNX Runtime runs on the CPU); it is
            not changed.
        example: positional inputs to trace with, e.g. ``(x, lengths)`` (any device).
        input_names: one name per input.
        dynamic: per input name, its dynamic axes and their names, e.g.
            ``{"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}``; the same name is the same size.
            Required (no default); ``{}`` for none (the file keeps the example's sizes).
        output_names: one name per output.
        exporter: ``torchscript`` or ``dynamo`` (see the module docstring).
        check_inputs: inputs of other sizes to verify the file on (:func:`verify_onnx`); None skips it.
        atol: largest absolute difference to eager accepted by the check.

    Raises:
        ExportError: ``example``, ``exporter`` or ``dynamic`` is not of the kind described above (one
            line naming the argument and the fix), the model holds a part that cannot be exported, the
            exporter fails, or the file does not reproduce the eager model at ``check_inputs``' sizes.
        MissingExtraError: without the ``carrousel-core[export]`` extra.
    """
    require("onnx", EXTRA, "ONNX export")
    which = check_exporter(exporter)
    if isinstance(example, Tensor) or not isinstance(example, Sequence):
        raise ExportError(
            f"example must be a tuple of positional inputs, e.g. (x,) or (x, lengths); got a {type(example).__name__}"
        )
    if len(input_names) != len(example):
        raise ExportError(f"{len(input_names)} input names for {len(example)} example inputs; give one each")
    _check_dynamic(dynamic, input_names, output_names)
    # ONNX Runtime runs the file on the CPU: a model on a GPU is traced as a CPU copy, with CPU inputs
    _refuse_projection(model, which.value)
    graph = PositionalGraph(exportable(model, sequence_lens=which is Exporter.TORCHSCRIPT).cpu())
    example = tuple(t.cpu() if isinstance(t, Tensor) else t for t in example)
    check_torchscript_only(graph, which.value)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            blob = _torchscript(graph, example, input_names, output_names, dynamic) if which is Exporter.TORCHSCRIPT else _dynamo(graph, example, input_names, output_names, dynamic)  # fmt: skip
    except ExportError:
        raise
    except Exception as exc:  # the exporters raise many types; name the first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(
            f"the {which.value} exporter cannot export {type(model).__name__}: {first}"
        ) from None
    if which is Exporter.TORCHSCRIPT:
        blob = drop_length_sort(blob)  # the packed sequences' sort: copies ONNX Runtime need not make
    if check_inputs is not None:
        verify_onnx(blob, model, check_inputs, input_names, atol=atol)
    _check_axes_kept(blob, dynamic, which.value)
    return blob


def _refuse_projection(model: nn.Module, exporter: str) -> None:
    """Refuses a projected LSTM before exporting: the torchscript exporter failed on it after dumping its
    whole graph to stderr, and the dynamo exporter wrote a file ONNX Runtime cannot run at any size."""
    for name, module in model.named_modules():
        proj = getattr(module, "proj_size", 0) if isinstance(module, nn.LSTM) else 0
        if proj:
            raise ExportError(
                f"the {exporter} exporter cannot export {type(model).__name__}: {name or 'the model'} is an "
                f"LSTM with proj_size={proj}, which the ONNX LSTM node lacks; use proj_size=0, or "
                "export_program (torch.export) for a PyTorch deployment"
            )


def _check_axes_kept(blob: bytes, dynamic: Mapping[str, Mapping[int, str]], exporter: str) -> None:
    """Refuses a file in which an axis asked to be dynamic came out fixed to the example's size (the dynamo
    exporter on rnn_tanh/rnn_relu layers): without ``check_inputs`` it was returned as if dynamic."""
    onnx = require("onnx", EXTRA, "ONNX export")
    for spec in onnx.load_model_from_string(blob).graph.input:
        dims = spec.type.tensor_type.shape.dim
        for axis, label in dynamic.get(spec.name, {}).items():
            if -len(dims) <= axis < len(dims) and dims[axis].HasField("dim_value"):
                raise ExportError(
                    f"the {exporter} exporter fixed axis {axis} ({label!r}) of input {spec.name} to the "
                    f"example's size {dims[axis].dim_value}, so the file runs at that size only (rnn_tanh and "
                    "rnn_relu layers unroll per step under dynamo); use exporter torchscript"
                )


def _check_dynamic(
    dynamic: Mapping[str, Mapping[int, str]], input_names: Sequence[str], output_names: Sequence[str]
) -> None:
    """Refuses ``dynamic`` unless it maps input or output names to ``{axis: name}``: before, None was a bare
    TypeError ("'NoneType' object is not iterable") and ``{"x": "batch"}`` the exporter's own words."""
    if not isinstance(dynamic, Mapping):
        first = input_names[0] if input_names else "x"
        raise ExportError(
            f"dynamic={dynamic!r} is not a mapping of input names to their dynamic axes; give e.g. "
            f"{{{first!r}: {{0: 'batch', 1: 'time'}}}}, or {{}} for none (the file keeps the example's sizes)"
        )
    unknown = [k for k in dynamic if k not in (*input_names, *output_names)]
    if unknown:
        raise ExportError(
            f"dynamic axes given for {unknown[0]!r}, which is not an input or output name "
            f"({', '.join([*input_names, *output_names])}); the file would keep the example's sizes"
        )
    for name, axes in dynamic.items():
        if not isinstance(axes, Mapping) or not all(
            isinstance(a, int) and not isinstance(a, bool) and isinstance(d, str) and d
            for a, d in axes.items()
        ):
            raise ExportError(
                f"dynamic[{name!r}]={axes!r} is not a mapping of axis numbers to axis names; "
                f"give e.g. dynamic[{name!r}]={{0: 'batch', 1: 'time'}}"
            )


def _torchscript(
    graph: nn.Module,
    example: Sequence[Tensor],
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic: Mapping[str, Mapping[int, str]],
) -> bytes:
    buf = io.BytesIO()
    axes = {k: dict(v) for k, v in dynamic.items()}
    for name in output_names:  # every output's batch axis follows the first input's
        axes.setdefault(name, {0: next(iter(dynamic.get(input_names[0], {0: "batch"}).values()), "batch")})
    with _cpp_warnings_as_python():
        torch.onnx.export(
            graph,
            tuple(example),
            buf,  # type: ignore[arg-type]
            dynamo=False,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=axes,  # type: ignore[arg-type]
            opset_version=OPSET,
        )
    return buf.getvalue()


_CPP_WARNING = re.compile(rb"^\[W\d{4} [^\]]*\] Warning: (.*?)(?: \(function \w+\))?$")


@contextlib.contextmanager
def _cpp_warnings_as_python() -> Iterator[None]:
    """PyTorch's C++ warnings, which the torchscript exporter writes straight to file descriptor 2
    (``[W1203 ... shape_type_inference.cpp:1994] Warning: The shape inference of prim::PackPadded type is
    missing...``), become Python warnings, so warning filters apply to them (:func:`export_onnx` ignores the
    exporter's warnings; ``nlp translate export -q`` showed these); anything else written there is passed on."""
    with contextlib.ExitStack() as stack:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no descriptor 2 to borrow: leave it alone
            saved = None
        if saved is None:
            yield
            return
        sink = stack.enter_context(tempfile.TemporaryFile())
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().splitlines(keepends=True):
                if found := _CPP_WARNING.match(line.rstrip(b"\r\n")):
                    text = found.group(1).decode(errors="replace")
                    warnings.warn(f"torch.onnx.export: {text}", UserWarning, stacklevel=3)
                else:
                    os.write(2, line)


def _dynamo(
    graph: nn.Module,
    example: Sequence[Tensor],
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic: Mapping[str, Mapping[int, str]],
) -> bytes:
    dims: dict[str, Any] = {}
    shapes = []
    for name in input_names:
        axes = dynamic.get(name, {})
        shapes.append({ax: dims.setdefault(d, torch.export.Dim(d)) for ax, d in axes.items()} or None)
    with fresh_rnn_dispatch():  # else a second LSTM/GRU export in a process has a fixed time axis
        program = torch.onnx.export(
            graph,
            tuple(example),
            dynamo=True,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_shapes=(tuple(shapes),),
            verbose=False,
        )
    assert program is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        program.save(str(path))
        return path.read_bytes()


def verify_onnx(
    blob: bytes,
    model: nn.Module,
    inputs: Sequence[Tensor],
    input_names: Sequence[str] | None = None,
    atol: float = 1e-4,
    output_names: Sequence[str] | None = None,
    output_atol: Mapping[str, float] | None = None,
) -> float:
    """Runs the ONNX file and the eager model on ``inputs``; returns the largest absolute difference.

    Args:
        blob: the ONNX file.
        model: the eager module it was exported from.
        inputs: positional inputs (sizes other than the export example's); the eager model gets them on
            its own device.
        input_names: their names (for the error message).
        atol: largest accepted ``|onnx - eager|`` of every output.
        output_names: the outputs' names, in order (for ``output_atol`` and the error message).
        output_atol: per output name, its own accepted difference (e.g. log-probabilities, whose absolute
            error grows as a token's probability shrinks).

    Raises:
        ExportError: an empty input (no rows or steps) to a graph with a recurrent node, on which ONNX
            Runtime aborts the process; a negative integer in an input (:func:`check_ids`: ids an exported
            embedding would wrap); a shape error in ONNX Runtime (a graph fixed to the example's
            sizes) or a difference above ``atol``.
    """
    session = onnx_session(blob)
    try:
        check_not_empty(session, inputs, "give check inputs of one row and one step or more")
        check_ids(session, inputs)  # run_onnx's own refusal, not "does not run at other sizes" below
    except ShapeError as exc:
        raise ExportError(str(exc)) from None
    try:
        got = run_onnx(session, inputs)
    except Exception as exc:
        sizes = ", ".join(f"{n}{tuple(t.shape)}" for n, t in zip(input_names or [], inputs, strict=False))
        raise ExportError(
            f"the exported graph does not run at other sizes ({sizes}): {str(exc).splitlines()[0][:200]}; "
            "it was fixed to the example's shapes, export with the torchscript exporter"
        ) from None
    device = next((p.device for p in model.parameters()), torch.device("cpu"))  # the eager model's own
    with evaluating(model):  # the model's own mode back afterwards, an exception included
        ref = model(*(t.to(device) if isinstance(t, Tensor) else t for t in inputs))
    refs = ref if isinstance(ref, tuple | list) else (ref,)
    names = list(output_names or [])
    worst = 0.0
    for i, (r, g) in enumerate(zip(refs, got, strict=False)):
        r_np = r.detach().float().cpu().numpy()
        if r_np.shape != g.shape:
            raise ExportError(
                f"the exported graph returns shape {g.shape}, the model {r_np.shape}; export again"
            )
        diff = float(np.abs(r_np - g).max(initial=0.0))
        name = names[i] if i < len(names) else f"output {i}"
        tol = (output_atol or {}).get(name, atol)
        if not diff <= tol:
            raise ExportError(
                f"the exported graph differs from the model by {diff:.3g} in {name} (over {tol:g}); export again"
            )
        worst = max(worst, diff)
    logger.info("ONNX check at other sizes: max |onnx - eager| = %.3g", worst)
    return worst
