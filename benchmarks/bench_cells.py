"""Speed of the Python step loop against PyTorch's fused nn.LSTM, measured side by side in one run.

Every configuration runs forward (no grad) and forward + backward on the same input; rounds are
interleaved (A B C ... A B C) so that load from other processes hits all of them alike, and the report
gives the median times and the ratios to ``nn.LSTM`` of the same size. Ratios are what to compare; absolute
times depend on the machine. ``--json`` prints the ratios as one JSON object (``{shape: {case: {"fwd":
r, "fwd_bwd": r}}}``). Cases marked "autograd loop" run the step loop recorded by autograd (the path
before ``lstm_loop.py``'s hand-written backward) with the same weights. The default ``lstm``
zoneout / recurrent-dropout, ``peephole_lstm`` and ``ln_lstm`` cases run the fused C++ loop
(``native.py``) when it is built (the JSON's ``native`` says which); cases marked "Python loop" run
``lstm_loop.py`` / ``ln_lstm_loop.py`` with the same weights.

Usage::

    python benchmarks/bench_cells.py                      # I=H=256 B=64 T=100 and I=4 H=64 B=128 T=60
    python benchmarks/bench_cells.py --sizes 256,64,100 --rounds 9  # I=H=256
    python benchmarks/bench_cells.py --threads 1          # steadier on a shared, loaded machine
    python benchmarks/bench_cells.py --threads 1 --clock thread  # CPU time: steadier still under load
    python benchmarks/bench_cells.py --threads 1 --cases ln_lstm,zoneout  # those cases and nn.LSTM only
    python benchmarks/bench_cells.py --threads 1 --json --sizes "256,256,64,100;4,64,128,60"  # I,H,B,T
    python benchmarks/bench_cells.py --compile            # adds torch.compile of the whole loop (slow to build)
    python benchmarks/bench_cells.py --script             # adds the lstm loop scripted with TorchScript
    python benchmarks/bench_cells.py --device cuda        # on a GPU (cuDNN's nn.LSTM the baseline)

``--device cuda`` (or ``auto``: a GPU when there is one) runs every case on the GPU, timed between
``torch.cuda.synchronize()`` calls; the fused C++ loop is CPU-only, so there the default custom-cell cases
run the Python loop and the "Python loop" copies (the same computation) are left out; ``--clock thread``
is CPU-only (it would not count the GPU's time).
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import statistics
import time
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.device import pick_device
from carrousel.core.errors import ConfigError
from carrousel.core.nn import LoopCell, LoopLayer, RecurrentConfig, RecurrentEncoder
from carrousel.core.nn.native import native_status


def naive_lstm_loop(layer: LoopLayer, x: Tensor) -> Tensor:
    """The first version of the loop, kept as a yardstick: per-step ``xw[:, t]`` indexing, bias add,
    four separate gate activations (what ``cells.py`` did before it was tuned)."""
    cell: LoopCell = layer.cells[0]  # type: ignore[assignment]
    B, T = x.shape[0], x.shape[1]
    xw = F.linear(x, cell.weight_ih, cell.bias_ih)
    h = x.new_zeros(B, cell.hidden_size)
    c = x.new_zeros(B, cell.hidden_size)
    outs = []
    for t in range(T):
        z = xw[:, t] + F.linear(h, cell.weight_hh, cell.bias_hh)
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1)


def _lstm_loop_plain(xw: Tensor, w_hh: Tensor, h: Tensor, c: Tensor) -> Tensor:
    """The autograd step loop, written for TorchScript (one alternative measured with ``--script``)."""
    outs: list[Tensor] = []
    for xt in xw.unbind(0):
        z = torch.addmm(xt, h, w_hh.t())
        i, f, g, o = z.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, 1)


def scripted_lstm(layer: LoopLayer, x: Tensor) -> Tensor:
    """Runs a loop layer's lstm cell through :func:`_scripted_lstm` (projection hoisted, as in cells.py)."""
    cell: LoopCell = layer.cells[0]  # type: ignore[assignment]
    xw = cell.project(x.transpose(0, 1))
    h = x.new_zeros(x.shape[0], cell.hidden_size)
    if "fn" not in _SCRIPTED:
        with warnings.catch_warnings():  # torch.jit.script is deprecated upstream; measured all the same
            warnings.simplefilter("ignore", FutureWarning)
            _SCRIPTED["fn"] = torch.jit.script(_lstm_loop_plain)
    return _SCRIPTED["fn"](xw, cell.weight_hh, h, torch.zeros_like(h))  # type: ignore[no-any-return]


_SCRIPTED: dict[str, Callable[..., Tensor]] = {}
# wall time by default; --clock thread counts only this thread's CPU time (with --threads 1 the whole
# computation), so time spent descheduled by other processes on a loaded machine is not counted
CLOCK: dict[str, Callable[[], float]] = {"now": time.perf_counter}
# on a GPU, the clock is read after the queued kernels finish (torch.cuda.synchronize)
SYNC: dict[str, Callable[[], None]] = {"wait": lambda: None}


def fwd_bwd(fn: Callable[[], Tensor], params: list[nn.Parameter]) -> float:
    """Seconds for one forward + backward."""
    for p in params:
        p.grad = None
    SYNC["wait"]()
    t0 = CLOCK["now"]()
    fn().sum().backward()
    SYNC["wait"]()
    return CLOCK["now"]() - t0


def fwd_only(fn: Callable[[], Tensor]) -> float:
    """Seconds for one forward without gradient recording (inference)."""
    with torch.no_grad():
        SYNC["wait"]()
        t0 = CLOCK["now"]()
        fn()
        SYNC["wait"]()
        return CLOCK["now"]() - t0


def autograd_loop(enc: RecurrentEncoder) -> RecurrentEncoder:
    """A copy of ``enc`` whose loop layers run the autograd step loop instead of ``lstm_loop``."""
    old = copy.deepcopy(enc)
    for layer in old.layers:
        if isinstance(layer, LoopLayer):
            layer.fused_loop = False
    return old


def python_loop(enc: RecurrentEncoder) -> RecurrentEncoder:
    """A copy of ``enc`` whose loop layers run ``lstm_loop.py`` in Python instead of the fused C++ loop."""
    old = copy.deepcopy(enc)
    for layer in old.layers:
        if isinstance(layer, LoopLayer):
            layer.native = False
    return old


def bench(
    I: int,  # noqa: E741
    H: int,
    B: int,
    T: int,
    rounds: int,
    compile_loop: bool,
    quiet: bool,
    script: bool = False,
    only: str = "",
    device: torch.device | None = None,
) -> dict[str, dict[str, float]]:
    """Times every configuration at one size; prints a table of medians and ratios unless ``quiet``.

    Returns:
        ``{case: {"fwd": ratio, "fwd_bwd": ratio, "fwd_min": ratio, "fwd_bwd_min": ratio, "fwd_ms": ms,
        "fwd_bwd_ms": ms}}``: ratios of medians (and of the fastest rounds) to nn.LSTM.
    """
    dev = device or torch.device("cpu")
    x = torch.randn(B, T, I).to(dev, non_blocking=True)
    lengths = torch.randint(T // 2, T + 1, (B,))
    lengths[0] = T

    def enc(**kw: object) -> RecurrentEncoder:
        cfg = RecurrentConfig(input_size=I, hidden_size=H, **kw)  # type: ignore[arg-type]
        return RecurrentEncoder(cfg).to(dev)

    fused = enc()
    loop = enc(backend="loop")
    naive = enc(backend="loop")
    fused_gru = enc(cell="gru")
    loop_gru = enc(cell="gru", backend="loop")
    cases: dict[str, tuple[nn.Module, Callable[[], Tensor]]] = {
        "nn.LSTM (fused)": (fused, lambda: fused(x).output),
        "lstm loop": (loop, lambda: loop(x).output),
        "lstm loop, first version": (naive, lambda: naive_lstm_loop(naive.layers[0], x)),  # type: ignore[arg-type]
        "nn.LSTM (fused), lengths": (fused, lambda: fused(x, lengths).output),
        "lstm loop, lengths": (loop, lambda: loop(x, lengths).output),
    }
    zone = enc(zoneout=0.1)
    rdrop = enc(recurrent_dropout=0.25)
    ln = enc(cell="ln_lstm")
    peep = enc(cell="peephole_lstm")
    zone_old, peep_old, rdrop_old = autograd_loop(zone), autograd_loop(peep), autograd_loop(rdrop)
    ln_hand, ln_old = python_loop(ln), autograd_loop(ln)  # ln_lstm_loop.py; the autograd loop
    zone_py, peep_py, rdrop_py = python_loop(zone), python_loop(peep), python_loop(rdrop)
    cases["lstm zoneout 0.1"] = (zone, lambda: zone(x).output)
    cases["lstm zoneout, Python loop"] = (zone_py, lambda: zone_py(x).output)
    cases["lstm zoneout, autograd loop"] = (zone_old, lambda: zone_old(x).output)
    cases["lstm recurrent dropout"] = (rdrop, lambda: rdrop(x).output)
    cases["lstm rec. dropout, Python loop"] = (rdrop_py, lambda: rdrop_py(x).output)
    cases["lstm rec. dropout, autograd loop"] = (rdrop_old, lambda: rdrop_old(x).output)
    cases["ln_lstm"] = (ln, lambda: ln(x).output)
    cases["ln_lstm, Python loop"] = (ln_hand, lambda: ln_hand(x).output)
    cases["ln_lstm, autograd loop"] = (ln_old, lambda: ln_old(x).output)
    cases["peephole_lstm"] = (peep, lambda: peep(x).output)
    cases["peephole_lstm, Python loop"] = (peep_py, lambda: peep_py(x).output)
    cases["peephole_lstm, autograd loop"] = (peep_old, lambda: peep_old(x).output)
    cases["nn.GRU (fused)"] = (fused_gru, lambda: fused_gru(x).output)
    cases["gru loop"] = (loop_gru, lambda: loop_gru(x).output)
    if script:
        scr = enc(backend="loop")
        cases["lstm loop, TorchScript autograd"] = (scr, lambda: scripted_lstm(scr.layers[0], x))  # type: ignore[arg-type]
    if compile_loop:
        comp = enc(backend="loop")
        layer = comp.layers[0]
        compiled = torch.compile(layer)
        t0 = time.perf_counter()
        compiled(x, None, None)[0].sum().backward()
        print(f"torch.compile of the whole lstm loop: first call (build) {time.perf_counter() - t0:.1f} s")
        cases["lstm loop, torch.compile"] = (comp, lambda: compiled(x, None, None)[0])
    if dev.type != "cpu":  # the fused C++ loop is CPU-only: the default cases already run the Python loop
        cases = {k: v for k, v in cases.items() if not k.endswith("Python loop")}
    if only:  # the baseline and the cases whose name contains one of the comma-separated words
        keep = [w.strip() for w in only.split(",") if w.strip()]
        cases = {k: v for k, v in cases.items() if k == "nn.LSTM (fused)" or any(w in k for w in keep)}
    for module, fn in cases.values():  # warm-up
        module.train()
        fwd_bwd(fn, list(module.parameters()))
    times: dict[str, list[float]] = {k: [] for k in cases}
    ftimes: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, (module, fn) in cases.items():
            ftimes[name].append(fwd_only(fn))
            times[name].append(fwd_bwd(fn, list(module.parameters())))
    base = statistics.median(times["nn.LSTM (fused)"])
    fbase = statistics.median(ftimes["nn.LSTM (fused)"])
    result: dict[str, dict[str, float]] = {}
    for name in cases:
        med, fmed = statistics.median(times[name]), statistics.median(ftimes[name])
        result[name] = {
            "fwd": round(fmed / fbase, 3),
            "fwd_bwd": round(med / base, 3),
            # ratios of the fastest rounds: on a loaded machine the least disturbed estimate
            "fwd_min": round(min(ftimes[name]) / min(ftimes["nn.LSTM (fused)"]), 3),
            "fwd_bwd_min": round(min(times[name]) / min(times["nn.LSTM (fused)"]), 3),
            "fwd_ms": round(fmed * 1e3, 2),
            "fwd_bwd_ms": round(med * 1e3, 2),
        }
    if not quiet:
        print(
            f"\nI={I} H={H} B={B} T={T}, training mode, median of {rounds} interleaved rounds, "
            f"{torch.get_num_threads()} threads, {dev}"
        )
        print(
            f"{'configuration':34s} {'fwd ms':>9s} {'x nn.LSTM':>10s} {'(min)':>6s} "
            f"{'fwd+bwd ms':>11s} {'x nn.LSTM':>10s} {'(min)':>6s}"
        )
        for name, r in result.items():
            print(
                f"{name:34s} {r['fwd_ms']:9.1f} {r['fwd']:10.2f} {r['fwd_min']:6.2f} "
                f"{r['fwd_bwd_ms']:11.1f} {r['fwd_bwd']:10.2f} {r['fwd_bwd_min']:6.2f}"
            )
    return result


def main() -> None:
    """Parses the command line and runs the benchmark at each size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes",
        default="256,256,64,100;4,64,128,60",
        help="I,H,B,T (or I,B,T with H=I) separated by ';'; the default is the issue's H=256 and stock-sized H=64",
    )
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of the whole loop")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: PyTorch's default)")
    ap.add_argument(
        "--cases", default="", help="only cases whose name contains one of these comma-separated words"
    )
    ap.add_argument(
        "--clock",
        choices=("wall", "thread"),
        default="wall",
        help="wall time, or this thread's CPU time (needs --threads 1; steadier on a loaded machine)",
    )
    ap.add_argument("--json", action="store_true", help="print the ratios as one JSON object only")
    ap.add_argument("--script", action="store_true", help="also time the lstm loop scripted with TorchScript")
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, or auto (a GPU if any)")
    args = ap.parse_args()
    if args.device not in ("cpu", "auto") and not args.device.startswith("cuda"):
        ap.error(f"--device {args.device}: use cpu, cuda, cuda:N or auto")
    try:
        device = pick_device("cuda" if args.device == "auto" and torch.cuda.is_available() else args.device)
    except ConfigError as exc:
        ap.error(str(exc))
    if device.type == "cuda":
        if args.clock == "thread":
            ap.error("--clock thread counts CPU time only; use the default wall clock with --device cuda")
        SYNC["wait"] = functools.partial(torch.cuda.synchronize, device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock == "thread":
        if args.threads != 1:
            ap.error("--clock thread needs --threads 1 (other threads' CPU time would not be counted)")
        CLOCK["now"] = time.thread_time
    torch.manual_seed(0)
    out: dict[str, object] = {
        "threads": torch.get_num_threads(),
        "rounds": args.rounds,
        "torch": torch.__version__,
        "clock": args.clock,
        "native": native_status()[1],
        "device": str(device),
    }
    for spec in args.sizes.split(";"):
        vals = [int(v) for v in spec.split(",")]
        if len(vals) == 3:
            vals = [vals[0], *vals]
        I, H, B, T = vals  # noqa: E741
        out[f"I={I} H={H} B={B} T={T}"] = bench(
            I, H, B, T, args.rounds, args.compile, args.json, args.script, args.cases, device
        )
    if args.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
