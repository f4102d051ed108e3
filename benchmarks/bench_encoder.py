"""Unequal lengths on the fused kernels: raw module without lengths vs packing vs the padded path.

For each shape (B, T, I, H) and cell, three cases run on the same weights and, per round, the same
lengths drawn from [T/2, T] (one sequence of length T):

* ``raw``: the encoder's fused ``nn.LSTM`` / ``nn.GRU`` on the padded batch without lengths (the speed
  a batch with lengths could have);
* ``packed``: ``RecurrentEncoder(varlen="packed")``, ``pack_padded_sequence`` inside (the old path);
* ``padded``: ``RecurrentEncoder(varlen="padded")``, :mod:`carrousel.core.nn.varlen` (the new default on
  CPU), exact to ``packed``; a GRU trains there on the fused C++ loop (:mod:`carrousel.core.nn.gru_native`);
* ``padded_aten`` (GRU only): the same padded path on ATen's ``nn.GRU`` loop, as before the C++ loop;
* ``padded_sumbias`` (GRU, forward + backward only): ``padded`` with the C++ loop's bias gradients as
  ``g.sum(0)`` instead of a GEMV with a vector of ones (the GEMV is the default);
* ``raw_native`` and ``padded_native`` (GRU, forward only): the encoder without lengths and with lengths,
  both forced onto the fused C++ loop's forward (``raw_native`` against ``raw``, ``padded_native`` against
  ``packed`` and ``padded_aten``: the inference choice of ``choose_gru_kernel``).

Forward (``fwd``: eval mode, no autograd) and forward + backward (``fwd+bwd``: training mode, backward of
the outputs and last states). Rounds alternate the cases (raw, packed, padded, then rotated), so load from
other processes hits all alike; medians are reported with the ratios of each pair and the share of a dense
GEMM peak measured in the same run (recurrent flops counted at the full T, so a batch with lengths can
only lose share). One thread by default. JSON goes to stdout, a table to stderr.

Usage::

    python benchmarks/bench_encoder.py                       # the issue's three shapes, LSTM and GRU
    python benchmarks/bench_encoder.py --quick               # 3 rounds, LSTM only
    python benchmarks/bench_encoder.py --shapes 64,100,256,256 --cells lstm --rounds 9
    python benchmarks/bench_encoder.py --device cuda         # bfloat16 autocast, cuDNN
    python benchmarks/bench_encoder.py --modes fwd --cases packed,padded --cells lstm,gru,rnn_tanh  # inference
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import torch

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder

SHAPES = "64,100,256,256;32,200,128,128;128,60,4,64"  # B,T,I,H: the shapes
CASES = ("raw", "packed", "padded", "padded_aten", "padded_sumbias", "raw_native", "padded_native")
FWD_ONLY = ("raw_native", "padded_native")
BWD_ONLY = ("padded_sumbias",)
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def gemm_peak(device: torch.device, rounds: int) -> float:
    """Dense matrix-multiply flops per second (median), in the dtype the recurrent kernels compute in."""
    n = 2048 if device.type == "cuda" else 1024
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    reps = 50 if device.type == "cuda" else 2
    times = []
    for _ in range(rounds + 1):
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        _sync(device)
        times.append((time.perf_counter() - t0) / reps)
    return 2 * n**3 / statistics.median(times[1:])


def _cases(
    cell: str,
    B: int,
    T: int,
    n_in: int,
    H: int,
    device: torch.device,
    layers: int = 1,
    bi: bool = False,
    proj: int = 0,
) -> dict[str, RecurrentEncoder]:
    kw: dict[str, Any] = dict(input_size=n_in, hidden_size=H, cell=cell, num_layers=layers, bidirectional=bi)
    kw["proj_size"] = proj if cell == "lstm" else 0
    packed = RecurrentEncoder(RecurrentConfig(varlen="packed", **kw)).to(device)
    padded = RecurrentEncoder(RecurrentConfig(varlen="padded", **kw))
    padded.load_state_dict(packed.state_dict())
    cases = {"raw": packed, "packed": packed, "padded": padded.to(device)}
    if cell == "gru":
        for name in ("padded_aten", *BWD_ONLY, *FWD_ONLY):
            cases[name] = cases["padded"]
    return cases


def _aten_gru(name: str) -> contextlib.AbstractContextManager[Any]:
    """ATen's nn.GRU (``padded_aten``) or the fused C++ GRU loop (``*_native``) whatever the rule says, or the
    loop's bias gradients as a column sum (``padded_sumbias``)."""
    if name in BWD_ONLY:
        return mock.patch("carrousel.core.nn.gru_native._bias_grad", lambda g, ones: g.sum(0))
    if name not in ("padded_aten", *FWD_ONLY):
        return contextlib.nullcontext()
    forced = (name != "padded_aten", "bench")
    stack = contextlib.ExitStack()
    for mod in ("carrousel.core.nn.varlen", "carrousel.core.nn.recurrent"):
        stack.enter_context(mock.patch(f"{mod}.choose_gru_kernel", lambda *a, **k: forced))
    return stack


def _step(
    name: str, enc: RecurrentEncoder, x: torch.Tensor, lengths: torch.Tensor, train: bool
) -> Callable[[], None]:
    rnn = enc.rnn
    assert rnn is not None

    def run() -> None:
        with _autocast(x.device), _aten_gru(name):
            if name == "raw":
                out = rnn(x)[0]
                loss = out.sum() + out[:, -1].sum()
            elif name == "raw_native":
                r = enc(x)
                loss = r.output.sum() + r.last.sum()
            else:
                r = enc(x, lengths)
                loss = r.output.sum() + r.last.sum()
        if train:
            loss.backward()

    return run


def _time(fn: Callable[[], None], device: torch.device, train: bool) -> float:
    ctx = contextlib.nullcontext() if train else torch.no_grad()
    with ctx:
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
    return time.perf_counter() - t0


def _rotations(cases: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    k, n = 0, len(cases)
    while True:
        yield cases[k % n :] + cases[: k % n]
        k += 1


def bench_shape(
    cell: str,
    B: int,
    T: int,
    n_in: int,
    H: int,
    device: torch.device,
    rounds: int,
    peak: float,
    layers: int = 1,
    bi: bool = False,
    proj: int = 0,
    modes: tuple[str, ...] = ("fwd", "fwd+bwd"),
    only: tuple[str, ...] = (),
    dtype: torch.dtype = torch.float32,
) -> list[dict[str, Any]]:
    """Times the cases at one shape (all, or ``only`` these), forward and forward + backward (or ``modes``)."""
    gen = torch.Generator().manual_seed(B * 1000 + T)
    x = torch.randn(B, T, n_in, generator=gen).to(device, dtype)
    encs = {k: v.to(dtype) for k, v in _cases(cell, B, T, n_in, H, device, layers, bi, proj).items()}
    D = 2 if bi else 1
    P = proj if cell == "lstm" and proj else H  # h size after the optional projection
    per_step = [
        GATES[cell] * H * ((n_in if k == 0 else D * P) + P) + (P * H if P != H else 0) for k in range(layers)
    ]
    flops = 2.0 * B * T * D * sum(per_step)  # forward, at full T
    rows = []
    for mode, train in (("fwd", False), ("fwd+bwd", True)):
        if mode not in modes:
            continue
        for enc in encs.values():
            enc.train(train)
        names = tuple(c for c in encs if c not in (BWD_ONLY if not train else FWD_ONLY) and c in (only or c))
        times: dict[str, list[float]] = {c: [] for c in names}
        order = _rotations(names)
        for r in range(rounds + 1):  # round 0 warms up
            lengths = torch.randint(T // 2, T + 1, (B,), generator=gen)
            lengths[0] = T
            for case in next(order):
                enc = encs[case]
                enc.zero_grad(set_to_none=True)
                t = _time(_step(case, enc, x, lengths, train), device, train)
                if r:
                    times[case].append(t)
        med = {c: statistics.median(v) for c, v in times.items()}
        work = flops * (3 if train else 1)
        rows.append(
            {
                "cell": cell,
                "B": B,
                "T": T,
                "I": n_in,
                "H": H,
                "layers": layers,
                "bidirectional": bi,
                "mode": mode,
                "ms": {c: round(v * 1e3, 3) for c, v in med.items()},
                "pct_peak": {c: round(100 * work / v / peak, 1) for c, v in med.items()},
                "packed_over_padded": round(med["packed"] / med["padded"], 2),
            }
        )
        if "raw" in med:
            rows[-1]["padded_over_raw"] = round(med["padded"] / med["raw"], 2)
            rows[-1]["packed_over_raw"] = round(med["packed"] / med["raw"], 2)
        if "padded_aten" in med:
            rows[-1]["padded_aten_over_padded"] = round(med["padded_aten"] / med["padded"], 2)
        if "padded_sumbias" in med:
            rows[-1]["padded_sumbias_over_padded"] = round(med["padded_sumbias"] / med["padded"], 3)
        if "raw_native" in med and "padded_aten" in med:
            rows[-1]["raw_over_raw_native"] = round(med["raw"] / med["raw_native"], 2)
            rows[-1]["packed_over_padded_native"] = round(med["packed"] / med["padded_native"], 2)
            rows[-1]["padded_aten_over_padded_native"] = round(med["padded_aten"] / med["padded_native"], 2)
    return rows


def main() -> None:
    """Parses the command line, runs every shape and cell, prints the table and the JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default=SHAPES, help="B,T,I,H quadruples separated by ';'")
    ap.add_argument("--cells", default=None, help="comma-separated: lstm,gru,rnn_tanh (default lstm,gru)")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds per case (default 7, quick 3)")
    ap.add_argument("--quick", action="store_true", help="3 rounds, LSTM only unless --cells says otherwise")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuda: bfloat16 autocast)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    ap.add_argument("--layers", type=int, default=1, help="stacked layers (default 1)")
    ap.add_argument("--bidirectional", action="store_true", help="two directions per layer")
    ap.add_argument("--proj-size", type=int, default=0, help="LSTM projection size (default 0: none)")
    ap.add_argument("--modes", default="fwd,fwd+bwd", help="fwd (inference), fwd+bwd (training), or both")
    ap.add_argument(
        "--cases",
        default="",
        help=f"comma-separated subset of {','.join(CASES)} (default all); packed,padded kept",
    )
    ap.add_argument("--float64", action="store_true", help="CPU only: float64 (no oneDNN LSTM kernel)")
    ap.add_argument("--no-onednn", action="store_true", help="torch.backends.mkldnn.enabled = False")
    args = ap.parse_args()
    torch.backends.mkldnn.enabled = not args.no_onednn
    modes = tuple(args.modes.split(","))
    only = tuple(args.cases.split(",")) if args.cases else ()
    if not set(modes) <= {"fwd", "fwd+bwd"} or not set(only) <= set(CASES):
        sys.exit(f"--modes takes fwd,fwd+bwd and --cases a subset of {','.join(CASES)}")
    only = tuple(dict.fromkeys(("packed", "padded", *only))) if only else ()
    load_start = [round(v, 2) for v in os.getloadavg()]
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA device here")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rounds = args.rounds or (3 if args.quick else 7)
    cells = (args.cells or ("lstm" if args.quick else "lstm,gru")).split(",")
    peak = gemm_peak(device, rounds)
    rows: list[dict[str, Any]] = []
    for quad in args.shapes.split(";"):
        B, T, I, H = (int(v) for v in quad.split(","))  # noqa: E741
        for cell in cells:
            rows.extend(
                bench_shape(
                    cell,
                    B,
                    T,
                    I,
                    H,
                    device,
                    rounds,
                    peak,
                    args.layers,
                    args.bidirectional,
                    args.proj_size,
                    modes,
                    only,
                    torch.float64 if args.float64 else torch.float32,
                )
            )
    print(
        f"{args.layers} layer(s){', bidirectional' if args.bidirectional else ''}; "
        f"GEMM peak {peak / 1e9:.1f} GFLOP/s ({device.type}, {torch.get_num_threads()} thread(s)); "
        f"median of {rounds} alternating rounds; % of peak with flops at full T",
        file=sys.stderr,
    )
    head = f"{'cell':8s} {'B':>4s} {'T':>4s} {'I':>4s} {'H':>4s} {'mode':8s}"
    head += "".join(f" {c + ' ms':>11s} {'%pk':>5s}" for c in CASES) + f" {'pack/pad':>8s} {'pad/raw':>7s}"
    head += f" {'aten/pad':>8s} {'sum/pad':>7s} {'raw/rawN':>8s} {'pack/padN':>9s} {'aten/padN':>9s}"
    print(head, file=sys.stderr)
    for r in rows:
        line = f"{r['cell']:8s} {r['B']:4d} {r['T']:4d} {r['I']:4d} {r['H']:4d} {r['mode']:8s}"
        line += "".join(
            f" {r['ms'][c]:11.1f} {r['pct_peak'][c]:5.1f}" if c in r["ms"] else f" {'-':>11s} {'-':>5s}"
            for c in CASES
        )
        line += f" {r['packed_over_padded']:8.2f}"
        line += f" {r['padded_over_raw']:7.2f}" if "padded_over_raw" in r else f" {'-':>7s}"
        line += f" {r['padded_aten_over_padded']:8.2f}" if "padded_aten_over_padded" in r else f" {'-':>8s}"
        for key, w in (
            ("padded_sumbias_over_padded", 7),
            ("raw_over_raw_native", 8),
            ("packed_over_padded_native", 9),
            ("padded_aten_over_padded_native", 9),
        ):
            line += f" {r[key]:{w}.2f}" if key in r else f" {'-':>{w}s}"
        print(line, file=sys.stderr)
    meta = {
        "device": str(device),
        "dtype": "bfloat16 autocast" if device.type == "cuda" else "float64" if args.float64 else "float32",
        "onednn": bool(torch.backends.mkldnn.enabled),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "rounds": rounds,
        "gemm_peak_gflops": round(peak / 1e9, 2),
        "lengths": "uniform in [T/2, T], one of length T, redrawn each round",
        "layers": args.layers,
        "bidirectional": args.bidirectional,
        "proj_size": args.proj_size,
        "modes": modes,
        "load_average_1_5_15": {"start": load_start, "end": [round(v, 2) for v in os.getloadavg()]},
    }
    print(json.dumps({"meta": meta, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
