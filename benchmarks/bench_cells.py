"""Speed of the Python step loop against PyTorch's fused nn.LSTM, measured side by side in one run.

Every configuration runs forward + backward on the same input; rounds are interleaved (A B C ... A B C)
so that load from other processes hits all of them alike, and the report gives the median time and the
ratio to ``nn.LSTM`` of the same size. Ratios are what to compare; absolute times depend on the machine.

Usage::

    python benchmarks/bench_cells.py                      # I=H=256, B=64, T=100 and a small size
    python benchmarks/bench_cells.py --sizes 256,64,100 --rounds 9
    python benchmarks/bench_cells.py --threads 1          # steadier on a shared, loaded machine
    python benchmarks/bench_cells.py --compile            # adds torch.compile of the whole loop (slow to build)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.nn import LoopCell, LoopLayer, RecurrentConfig, RecurrentEncoder


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


def fwd_bwd(fn: Callable[[], Tensor], params: list[nn.Parameter]) -> float:
    """Seconds for one forward + backward."""
    for p in params:
        p.grad = None
    t0 = time.perf_counter()
    fn().sum().backward()
    return time.perf_counter() - t0


def bench(size: int, B: int, T: int, rounds: int, compile_loop: bool) -> None:
    """Times every configuration at one size and prints a table of medians and ratios."""
    I = H = size  # noqa: E741
    x = torch.randn(B, T, I)
    lengths = torch.randint(T // 2, T + 1, (B,))
    lengths[0] = T

    def enc(**kw: object) -> RecurrentEncoder:
        return RecurrentEncoder(RecurrentConfig(input_size=I, hidden_size=H, **kw))  # type: ignore[arg-type]

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
    cases["lstm zoneout 0.1"] = (zone, lambda: zone(x).output)
    cases["lstm recurrent dropout"] = (rdrop, lambda: rdrop(x).output)
    cases["ln_lstm"] = (ln, lambda: ln(x).output)
    cases["peephole_lstm"] = (peep, lambda: peep(x).output)
    cases["nn.GRU (fused)"] = (fused_gru, lambda: fused_gru(x).output)
    cases["gru loop"] = (loop_gru, lambda: loop_gru(x).output)
    if compile_loop:
        comp = enc(backend="loop")
        layer = comp.layers[0]
        compiled = torch.compile(layer)
        t0 = time.perf_counter()
        compiled(x, None, None)[0].sum().backward()
        print(f"torch.compile of the whole lstm loop: first call (build) {time.perf_counter() - t0:.1f} s")
        cases["lstm loop, torch.compile"] = (comp, lambda: compiled(x, None, None)[0])
    for module, fn in cases.values():  # warm-up
        module.train()
        fwd_bwd(fn, list(module.parameters()))
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, (module, fn) in cases.items():
            times[name].append(fwd_bwd(fn, list(module.parameters())))
    base = statistics.median(times["nn.LSTM (fused)"])
    print(
        f"\nI=H={I} B={B} T={T}, forward+backward, median of {rounds} interleaved rounds, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"{'configuration':32s} {'ms':>9s} {'x nn.LSTM':>10s}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:32s} {med * 1e3:9.1f} {med / base:10.2f}")


def main() -> None:
    """Parses the command line and runs the benchmark at each size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256,64,100;64,16,50", help="I,B,T triples separated by ';'")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of the whole loop")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: PyTorch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for triple in args.sizes.split(";"):
        size, B, T = (int(v) for v in triple.split(","))
        bench(size, B, T, args.rounds, args.compile)


if __name__ == "__main__":
    main()
