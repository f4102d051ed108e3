"""``bio discover`` on real ChIP-seq peaks: Oct4 vs Mafk (janggu's 200-bp peak sets) and the reverse.

Each direction trains a model through the CLI (``bio discover POS --control NEG --epochs N``, printed so
it can be repeated), then prints the top motifs by contribution with their best JASPAR match and E-value,
which motif is marked as the task's, and the best E-value of the expected family (POU/Oct or Sox for
Oct4, MAF/NFE2/Bach for Mafk) among the top 5 motifs.

Usage: ``python benchmarks/bench_bio_discover.py [--epochs 8] [--out /tmp/bench_bio_discover]``
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

FAMILIES = {"oct4": ("POU", "OCT", "SOX"), "mafk": ("MAF", "NFE2", "BACH")}


def _run(pos: str, neg: str, out: Path, epochs: int, seed: int) -> dict:
    cmd = [sys.executable, "-m", "carrousel.bio.cli", "discover", pos, "--control", neg]
    cmd += ["--out", str(out), "--epochs", str(epochs), "--seed", str(seed), "--json", "-q"]
    print("$", shlex.join(cmd), flush=True)
    t = time.perf_counter()
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--out", default="/tmp/bench_bio_discover")
    args = ap.parse_args()
    from carrousel.core.samples import sample_path

    files = {name: str(sample_path(f"bio.{name}")) for name in FAMILIES}
    for pos, neg in (("oct4", "mafk"), ("mafk", "oct4")):
        doc = _run(files[pos], files[neg], Path(args.out) / pos, args.epochs, args.seed)
        print(f"{pos} vs {neg}: {len(doc['motifs'])} motifs; task motif {doc['task_motif']}")
        best_family = float("inf")
        for m in doc["motifs"][: args.top]:
            x = m["matches"][0] if m["matches"] else None
            mark = " (task motif)" if m["task_motif"] else ""
            match = f"{x['name']} ({x['id']}) E={x['evalue']:.2g}" if x else "-"
            print(
                f"  {m['rank']}. {m['id']}{mark} {m['consensus']} sites={m['sites']} "
                f"contribution={m['contribution']:.3f} -> {match}"
            )
            for y in m["matches"]:
                if any(f in y["name"].upper() for f in FAMILIES[pos]):
                    best_family = min(best_family, y["evalue"])
        print(f"  best {'/'.join(FAMILIES[pos])} E-value among the top {args.top}: {best_family:.2g}")


if __name__ == "__main__":
    main()
