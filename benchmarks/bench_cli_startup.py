"""Command-line start-up: how long ``--help`` (and so ``--version`` and every usage error) takes per CLI,
and one whole prediction (``nlp sentiment predict`` with the shipped model), beside a bare ``import torch``
timed in the same run.

The CLIs import their pipelines (torch, pandas, statsmodels, tokenizers...) inside the commands, and
``carrousel.core`` re-exports its blocks lazily, so answering ``--help`` must not pay PyTorch's import.
Each measurement is a fresh ``python -c`` process (no warm module cache inside Python; the OS file cache
is warm after the first round); the rounds alternate between all commands so each sees the same load.
The ratio ``import torch / --help`` above 1 means the help answers faster than torch alone imports.

Usage::

    python benchmarks/bench_cli_startup.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import torch": "import torch",
    "finance --help": "import sys; sys.argv = ['finance', '--help']; from carrousel.finance.cli import main; main()",
    "bio --help": "import sys; sys.argv = ['bio', '--help']; from carrousel.bio.cli import main; main()",
    "nlp --help": "import sys; sys.argv = ['nlp', '--help']; from carrousel.nlp.cli import main; main()",
    "speech --help": "import sys; sys.argv = ['speech', '--help']; from carrousel.speech.cli import main; main()",
    # a whole prediction: the shipped sentiment bundle loaded (its shape check included) and run once
    "nlp sentiment predict": "import sys; sys.argv = ['nlp', 'sentiment', 'predict', 'a fine film']; "
    "from carrousel.nlp.cli import main; main()",
}


def _child_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(code: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, far less sensitive to other jobs) of one process."""
    cpu, start = _child_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _child_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{code!r} failed: {done.stderr.strip().splitlines()[-1:]}")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, code in COMMANDS.items():
            wall, cpu = _once(code)
            times[name].append(wall)
            cpus[name].append(cpu)
    torch_s = statistics.median(times["import torch"])
    rows = [
        {
            "command": name,
            "median_s": round(statistics.median(t), 3),
            "min_s": round(min(t), 3),
            "cpu_median_s": round(statistics.median(cpus[name]), 3),
            "import_torch_over_this": round(torch_s / statistics.median(t), 2),
        }
        for name, t in times.items()
    ]
    if args.json:
        print(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2))
        return
    print(f"{'command':<22} {'median s':>9} {'min s':>7} {'CPU s':>7} {'torch/this':>11}")
    for r in rows:
        print(
            f"{r['command']:<22} {r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['cpu_median_s']:>7.3f} "
            f"{r['import_torch_over_this']:>11.2f}"
        )


if __name__ == "__main__":
    main()
