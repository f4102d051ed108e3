"""Command-line start-up: how long ``--help`` (and so ``--version`` and every usage error) takes per CLI,
beside a bare ``import torch`` timed in the same run.

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
}


def _once(code: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{code!r} failed: {done.stderr.strip().splitlines()[-1:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, code in COMMANDS.items():
            times[name].append(_once(code))
    torch_s = statistics.median(times["import torch"])
    rows = [
        {
            "command": name,
            "median_s": round(statistics.median(t), 3),
            "min_s": round(min(t), 3),
            "import_torch_over_this": round(torch_s / statistics.median(t), 2),
        }
        for name, t in times.items()
    ]
    if args.json:
        print(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2))
        return
    print(f"{'command':<16} {'median s':>9} {'min s':>7} {'torch/this':>11}")
    for r in rows:
        print(
            f"{r['command']:<16} {r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['import_torch_over_this']:>11.2f}"
        )


if __name__ == "__main__":
    main()
