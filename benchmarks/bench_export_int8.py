"""Alternatives to the default dynamic int8 export of an LSTM encoder, side by side in one process.

The encoder of ``bench_export.py --parts encoder`` (a core ``SequenceRegressor``: LSTM I=H=256, T=100,
lengths in [T/2, T] or none), batch 1 and 64, one thread. Each alternative is timed in alternating rounds
(one sample of every runner per round, median over rounds: a burst of load on the shared machine lands on
every runner alike) and its largest output error relative to the output range is kept beside its speed-up
over eager fp32. The alternatives:

* ``int8`` (the default): torchscript exporter -> one ``LSTM`` node -> ``quantize_int8`` ->
  ``DynamicQuantizeLSTM``, in core's session (``ORT_ENABLE_ALL``, 1 intra-op thread);
* session options on that graph: ``extended`` (``ORT_ENABLE_EXTENDED``), ``nospin``
  (``session.intra_op.allow_spinning`` 0), ``noarena`` (``enable_cpu_mem_arena`` off);
* quantizer options: ``perchannel`` (``per_channel=True``), ``reducerange`` (``reduce_range=True``),
  ``quint8`` (``weight_type=QUInt8``);
* ``dynamo``: the dynamo exporter's graph through ``quantize_int8``;
* ``split``: a graph built here from the same weights in which the input projection of ALL time steps is
  one ``MatMul`` (B*T x I by I x 4H, one big quantized product) and only the recurrence is a ``Scan`` over
  time (its per-step ``MatMul`` quantized too, ``EnableSubgraph``); ``split-fp32`` is the same graph
  unquantized; ``split_int4``: its ``MatMul`` nodes as ``MatMulNBits`` (4-bit weights, int8 activations).
  (An ``LSTM`` node cannot take precomputed gates: its input weights are not optional.)
* ``torch_ao`` (without lengths): ``torch.ao`` dynamic int8 of a bare ``nn.LSTM`` + head, eager.

Usage: ``python benchmarks/bench_export_int8.py [--rounds 9] [--batches 1,64] [--only NAME,...] [--json]``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

T, IN, H = 100, 256, 256


def _model(varlen: str = "auto") -> Any:
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(encoder=RecurrentConfig(IN, H, cell="lstm", varlen=varlen), out_features=8)
    return SequenceRegressor(cfg).eval()


def _quantize(blob: bytes, **options: Any) -> bytes:
    """``quantize_dynamic`` with ``options`` (core's own call is ``quantize_int8``)."""
    from onnxruntime import quantization as q

    from carrousel.core.export.dynamic import INT8_OPS, quantizer_files

    options.setdefault("weight_type", q.QuantType.QInt8)
    with quantizer_files(blob, "int8 quantization") as (src, _, dst):
        q.quantize_dynamic(str(src), str(dst), op_types_to_quantize=list(INT8_OPS), **options)
        return dst.read_bytes()


def split_graph(model: Any, with_lengths: bool) -> bytes:
    """The encoder and head as one input-projection ``MatMul`` over every step plus a ``Scan`` recurrence.

    Gates are reordered (i, f, o, g) so that one ``Sigmoid`` covers three of them; with lengths, a step
    past a sequence's length keeps its state (``h + m * (h_new - h)``), so the final state is the state at
    ``len - 1``, which the head reads (as the eager ``SequenceRegressor`` does).
    """
    import onnx
    from onnx import TensorProto as P
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    rnn, lin = model.encoder.rnn, model.head.linear
    order = np.r_[0:H, H : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]  # torch (i, f, g, o) -> (i, f, o, g)
    w = rnn.weight_ih_l0.detach().numpy()[order].T.copy()
    r = rnn.weight_hh_l0.detach().numpy()[order].T.copy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()[order]
    inits = [
        nh.from_array(a.astype(np.float32), n)
        for a, n in (
            (w, "W"),
            (b, "B"),
            (lin.weight.detach().numpy(), "HW"),
            (lin.bias.detach().numpy(), "HB"),
        )
    ]
    inits += [nh.from_array(np.array(v, np.int64), n) for v, n in (([3 * H, H], "gs"), ([H] * 3, "ss"))]
    inits += [nh.from_array(np.array([0], np.int64), "ax0"), nh.from_array(np.array([H], np.int64), "hdim")]
    n = oh.make_node
    body_nodes = [
        n("MatMul", ["h", "R"], ["hr"]),
        n("Add", ["hr", "xp_t"], ["gates"]),
        n("Split", ["gates", "gs_b"], ["sig_in", "tanh_in"], axis=1),
        n("Sigmoid", ["sig_in"], ["sig"]),
        n("Tanh", ["tanh_in"], ["gg"]),
        n("Split", ["sig", "ss_b"], ["ig", "fg", "og"], axis=1),
        n("Mul", ["fg", "c"], ["fc"]),
        n("Mul", ["ig", "gg"], ["ic"]),
        n("Add", ["fc", "ic"], ["c_new"]),
        n("Tanh", ["c_new"], ["tc"]),
        n("Mul", ["og", "tc"], ["h_new"]),
    ]
    body_inputs = [
        oh.make_tensor_value_info("h", P.FLOAT, ["B", H]),
        oh.make_tensor_value_info("c", P.FLOAT, ["B", H]),
        oh.make_tensor_value_info("xp_t", P.FLOAT, ["B", 4 * H]),
    ]
    outs = ("h_new", "c_new")
    if with_lengths:
        body_inputs.append(oh.make_tensor_value_info("m_t", P.FLOAT, ["B", 1]))
        for s in ("h", "c"):
            body_nodes += [
                n("Sub", [f"{s}_new", s], [f"{s}_d"]),
                n("Mul", [f"{s}_d", "m_t"], [f"{s}_md"]),
                n("Add", [s, f"{s}_md"], [f"{s}_out"]),
            ]
        outs = ("h_out", "c_out")
    body_inits = [
        nh.from_array(r.astype(np.float32), "R"),
        nh.from_array(np.array([3 * H, H], np.int64), "gs_b"),
        nh.from_array(np.array([H] * 3, np.int64), "ss_b"),
    ]
    body = oh.make_graph(
        body_nodes,
        "step",
        body_inputs,
        [oh.make_tensor_value_info(o, P.FLOAT, ["B", H]) for o in outs],
        body_inits,
    )
    nodes = [
        n("MatMul", ["x", "W"], ["xw"]),
        n("Add", ["xw", "B"], ["xp"]),  # (B, T, 4H)
        n("Shape", ["x"], ["xs"]),
        n("Slice", ["xs", "ax0", "ax_1"], ["b1"]),
        n("Concat", ["b1", "hdim"], ["hshape"], axis=0),
        n("ConstantOfShape", ["hshape"], ["z"], value=oh.make_tensor("v", P.FLOAT, [1], [0.0])),
    ]
    inits.append(nh.from_array(np.array([1], np.int64), "ax_1"))
    scan_in, axes = ["xp"], [1]
    inputs = [oh.make_tensor_value_info("x", P.FLOAT, ["batch", "time", IN])]
    if with_lengths:
        inputs.append(oh.make_tensor_value_info("lengths", P.INT64, ["batch"]))
        inits += [nh.from_array(np.array(v, np.int64), k) for v, k in ((0, "i0"), (1, "i1"))]
        nodes += [
            n("Shape", ["x"], ["xs2"], start=1, end=2),
            n("Squeeze", ["xs2"], ["tlen"]),
            n("Range", ["i0", "tlen", "i1"], ["steps"]),
            n("Unsqueeze", ["steps", "ax0"], ["steps2"]),  # (1, T)
            n("Unsqueeze", ["lengths", "ax_1"], ["len2"]),  # (B, 1)
            n("Less", ["steps2", "len2"], ["valid"]),
            n("Cast", ["valid"], ["validf"], to=P.FLOAT),
            n("Unsqueeze", ["validf", "two"], ["mask"]),  # (B, T, 1)
        ]
        inits.append(nh.from_array(np.array([2], np.int64), "two"))
        scan_in, axes = ["xp", "mask"], [1, 1]
    nodes += [
        n(
            "Scan",
            ["z", "z", *scan_in],
            ["hT", "cT"],
            body=body,
            num_scan_inputs=len(scan_in),
            scan_input_axes=axes,
        ),
        n("Gemm", ["hT", "HW", "HB"], ["output"], transB=1),
    ]
    graph = oh.make_graph(
        nodes, "split_lstm", inputs, [oh.make_tensor_value_info("output", P.FLOAT, ["batch", 8])], inits
    )
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def _int4(blob: bytes) -> bytes:
    """Every ``MatMul`` (the Scan's included) as ``MatMulNBits``: 4-bit weights in blocks of 32,
    ``accuracy_level`` 4 (int8 activations, the VNNI kernel)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quant = MatMulNBitsQuantizer(
        onnx.load_from_string(blob), block_size=32, is_symmetric=True, accuracy_level=4
    )
    quant.process()
    out: bytes = quant.model.model.SerializeToString()
    return out


class _LastStep(torch.nn.Module):
    """The regressor without lengths as a bare ``nn.LSTM`` and ``nn.Linear`` on the last step's hidden state
    (what ``torch.ao`` dynamic quantization replaces; core's encoder does not take its quantized LSTM)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.lstm, self.head = copy.deepcopy(model.encoder.rnn), copy.deepcopy(model.head.linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        out: torch.Tensor = self.head(h[-1])
        return out


def _torch_ao(model: Any) -> Callable[..., np.ndarray]:
    """``torch.ao`` dynamic int8 (fbgemm) of the LSTM and the head, run eagerly (deprecated upstream)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch.ao.quantization.quantize_dynamic(_LastStep(model).eval(), {torch.nn.LSTM, torch.nn.Linear})

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out: np.ndarray = q(torch.from_numpy(x)).numpy()
            return out

    return run


def _session(blob: bytes, **conf: Any) -> Callable[..., np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = conf.pop("level", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.enable_cpu_mem_arena = conf.pop("arena", True)
    for key, value in conf.items():
        opts.add_session_config_entry(key, value)
    opts.log_severity_level = 3
    sess = ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def run(*args: np.ndarray) -> np.ndarray:
        out: np.ndarray = sess.run(None, dict(zip(names, args, strict=True)))[0]
        return out

    return run


def runners(model: Any, with_lengths: bool, only: set[str] | None) -> dict[str, Callable[..., np.ndarray]]:
    """Name -> ``run(*numpy inputs)`` for every alternative (``only``: a subset by name)."""
    import onnxruntime as ort
    from onnxruntime import quantization as q

    from carrousel.core.export import export_onnx, quantize_int8

    names = ["x", "lengths"] if with_lengths else ["x"]
    dyn = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}
    ex = (torch.randn(4, 20, IN), torch.tensor([20, 5, 7, 13]))[: len(names)]
    fp32 = export_onnx(model, ex, names, dyn)
    want = lambda k: only is None or k in only  # noqa: E731
    int8 = quantize_int8(fp32)
    builds: dict[str, Callable[[], Callable[..., np.ndarray]]] = {
        "onnx_fp32": lambda: _session(fp32),
        "int8": lambda: _session(int8),
        "extended": lambda: _session(int8, level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
        "nospin": lambda: _session(int8, **{"session.intra_op.allow_spinning": "0"}),
        "noarena": lambda: _session(int8, arena=False),
        "perchannel": lambda: _session(_quantize(fp32, per_channel=True)),
        "reducerange": lambda: _session(_quantize(fp32, reduce_range=True)),
        "quint8": lambda: _session(_quantize(fp32, weight_type=q.QuantType.QUInt8)),
        "dynamo": lambda: _session(quantize_int8(export_onnx(model, ex, names, dyn, exporter="dynamo"))),
        "split_fp32": lambda: _session(split_graph(model, with_lengths)),
        **({} if with_lengths else {"torch_ao": lambda: _torch_ao(model)}),
        "split_int4": lambda: _session(_int4(split_graph(model, with_lengths))),
        "split": lambda: _session(
            _quantize(split_graph(model, with_lengths), extra_options={"EnableSubgraph": True})
        ),
    }
    out = {}
    for k, build in builds.items():
        if want(k) or k == "int8":
            try:
                run = build()
                run(*(a.numpy() for a in (torch.randn(2, 7, IN), torch.tensor([7, 3]))[: len(names)]))
                out[k] = run
            except Exception as exc:  # an alternative that does not build or run at other sizes: reported
                print(
                    f"lengths={with_lengths} {k}: left out ({' '.join(str(exc).split())[:200]})",
                    file=sys.stderr,
                )
    return out


def measure(rounds: int, batches: list[int], only: set[str] | None) -> list[dict[str, Any]]:
    """One row per (lengths, batch): eager fp32 ms, each runner's speed-up and relative error."""
    model = _model()
    padded = _model("padded")  # the same weights (seed 0)
    padded.load_state_dict(model.state_dict())
    rows = []
    for with_lengths in (True, False):
        runs = runners(model, with_lengths, only)
        for batch in batches:
            g = torch.Generator().manual_seed(batch)
            x = torch.randn(batch, T, IN, generator=g)
            lengths = torch.randint(T // 2, T + 1, (batch,), generator=g)
            lengths[0] = T
            targs = (x, lengths) if with_lengths else (x,)
            nargs = tuple(a.numpy() for a in targs)
            with torch.no_grad():
                ref = model(*targs).numpy()
            scale = float(np.abs(ref).max())
            calls: dict[str, Callable[[], Any]] = {"eager": functools.partial(model, *targs)}
            if with_lengths:  # the same network on oneDNN over the padded batch (varlen="padded"), exact
                calls["eager_padded"] = functools.partial(padded, *targs)
            calls.update({k: functools.partial(r, *nargs) for k, r in runs.items()})
            samples: dict[str, list[float]] = {k: [] for k in calls}
            with torch.no_grad():
                for c in calls.values():
                    c()  # warm-up
                for _ in range(rounds):
                    for k, c in calls.items():
                        reps, t0 = 0, time.perf_counter()
                        while (elapsed := time.perf_counter() - t0) < 0.05 or reps == 0:
                            c()
                            reps += 1
                        samples[k].append(elapsed / max(reps, 1))
            ms = {k: 1e3 * statistics.median(v) for k, v in samples.items()}
            row: dict[str, Any] = {"lengths": with_lengths, "batch": batch, "eager_fp32_ms": ms["eager"]}
            if with_lengths:
                row["eager_padded_ms"] = ms["eager_padded"]
            for k, r in runs.items():
                row[k] = {
                    "ms": round(ms[k], 3),
                    "speedup": round(ms["eager"] / ms[k], 3),
                    **({"speedup_vs_padded": round(ms["eager_padded"] / ms[k], 3)} if with_lengths else {}),
                    "rel_err": float(f"{float(np.abs(r(*nargs) - ref).max()) / scale:.2e}"),
                }
            row["loadavg"] = os.getloadavg()
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds (median of them)")
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--only", default=None, help="comma-separated alternatives (int8 is always run)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    only = set(args.only.split(",")) if args.only else None
    rows = measure(args.rounds, [int(b) for b in args.batches.split(",")], only)
    path = Path(tempfile.gettempdir()) / "bench_export_int8.json"
    path.write_text(json.dumps(rows, indent=2))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        cells = " | ".join(
            f"{k} {v['speedup']:.2f}x ({v['rel_err']:.0e})" for k, v in r.items() if isinstance(v, dict)
        )
        pad = f" (varlen=padded {r['eager_padded_ms']:.2f} ms)" if r["lengths"] else ""
        print(
            f"lengths={r['lengths']!s:5} B={r['batch']:>2} eager {r['eager_fp32_ms']:.2f} ms{pad} | {cells}"
        )
    print(f"load average {os.getloadavg()[0]:.2f}; JSON: {path}")


if __name__ == "__main__":
    main()
