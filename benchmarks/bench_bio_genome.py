"""Memory of genome-scale ``bio train --peaks``: windows read by position through the ``.fai`` index vs
every record read whole (the former path), side by side in one run.

Builds, in a temporary folder, a genome of ``--chromosomes`` records of ``--copies`` E. coli 536 genomes
each (about 50 Mb per record, 300 Mb in all by default): every copy rotated at random, with ``--mutate``
of its bases substituted and a 10 kb N gap between copies, so no two stretches are the same. ``--peaks``
narrowPeak lines are placed at random positions, with a CTCF instance planted at each summit.

Each measurement runs in its own subprocess and prints its peak RSS (``resource.getrusage``) and wall
time:

* ``data``: the training-set assembly of ``bio train --peaks --genome`` (windows at the summits and
  GC-matched background that avoids the peaks), by the indexed path (first run builds the ``.fai``,
  second run reuses it) and by reading every record whole (the former path, which ``Genome.read_whole``
  still is); the sha256 of the windows shows both paths draw the same windows;
* ``train``: ``bio train --peaks ... --genome ... --epochs 1`` end to end, both ways;
* ``baseline``: the same imports without any genome, for reference.

Usage: ``python benchmarks/bench_bio_genome.py [--chromosomes 6] [--copies 10] [--peaks 500] [--keep]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH = 60  # bases per FASTA line
GAP = 10_000  # N between copies


def _write_record(fh, name: str, codes) -> None:
    import numpy as np

    fh.write(f">{name} synthetic E. coli repeats\n".encode())
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)[codes]
    full = letters.size // WIDTH * WIDTH
    lines = np.concatenate(
        [letters[:full].reshape(-1, WIDTH), np.full((full // WIDTH, 1), ord("\n"), np.uint8)], axis=1
    )
    fh.write(lines.tobytes())
    if letters.size > full:
        fh.write(letters[full:].tobytes() + b"\n")


def build_genome(folder: Path, chromosomes: int, copies: int, n_peaks: int, mutate: float, seed: int) -> int:
    """Writes ``genome.fa`` and ``peaks.narrowPeak`` into ``folder`` (run in a subprocess, so the parent
    that spawns the measured ones stays small: a forked child starts with its parent's peak RSS)."""
    import numpy as np

    from carrousel.bio.fasta import iter_records
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.synth import plant, sample_instance
    from carrousel.core.samples import sample_path

    rng = np.random.default_rng(seed)
    ecoli = next(iter_records(sample_path("bio.ecoli")))[1]
    ctcf = resolve_motifs("CTCF")[0]
    fa, bed = folder / "genome.fa", folder / "peaks.narrowPeak"
    per_chrom = np.bincount(rng.integers(0, chromosomes, n_peaks), minlength=chromosomes)
    total = 0
    lines = []
    with open(fa, "wb") as fh:
        for c in range(chromosomes):
            parts = []
            for _ in range(copies):
                copy = np.roll(ecoli, int(rng.integers(ecoli.size)))
                hit = rng.random(copy.size) < mutate
                copy[hit] = (copy[hit] + rng.integers(1, 4, int(hit.sum()))) % 4
                parts += [copy, np.full(GAP, 4, np.uint8)]
            seq = np.concatenate(parts[:-1])
            del parts
            name = f"chr{c + 1}"
            for summit in np.sort(rng.integers(1_000, seq.size - 1_000, per_chrom[c])):
                site = sample_instance(ctcf, rng, sharpen=2.0)
                plant(seq, site, int(summit) - ctcf.length // 2, 1 if rng.random() < 0.5 else -1)
                start = int(summit) - int(rng.integers(100, 300))
                end = int(summit) + int(rng.integers(100, 300))
                lines.append(
                    f"{name}\t{start}\t{end}\tp{len(lines)}\t500\t.\t9\t-1\t-1\t{int(summit) - start}"
                )
            _write_record(fh, name, seq)
            total += seq.size
    bed.write_text("\n".join(lines) + "\n")
    return total


def child(mode: str, whole: bool, fa: str, bed: str, out: str) -> None:
    """One measurement (run in a subprocess): prints a JSON line with peak RSS and wall time (the
    imports, the same in every mode, are not timed; the ``baseline`` mode does only them)."""
    if mode == "build":
        t0 = time.perf_counter()
        total = build_genome(Path(fa).parent, **json.loads(out))
        print("RESULT " + json.dumps({"bases": total, "wall_s": time.perf_counter() - t0}), flush=True)
        return
    import pyfaidx  # noqa: F401  (imported on first use; here so that every mode holds the same modules)

    import carrousel.bio.genome as genome_mod
    from carrousel.bio.cli import main
    from carrousel.bio.config import TrainDataConfig
    from carrousel.bio.data import training_set

    if whole:  # the former path: every record of the genome read whole into memory
        genome_mod.Genome.open = classmethod(lambda cls, path, max_whole_bases=None: cls.read_whole(path))  # type: ignore[method-assign,assignment]
    t0 = time.perf_counter()
    result: dict[str, object] = {}
    if mode == "data":
        ts = training_set(TrainDataConfig(peaks=bed, genome=fa, window=200), [], seed=0)
        result = {"windows": int(ts.x.shape[0]), "sha256": hashlib.sha256(ts.x.tobytes()).hexdigest()[:16]}
    elif mode == "train":
        sys.argv = ["bio", "train", "--peaks", bed, "--genome", fa, "-o", out, "--epochs", "1", "--quiet"]
        sys.argv += ["--filters", "16", "--hidden", "8", "--json"]
        try:
            main()
        except SystemExit as exc:
            result["exit"] = exc.code
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["wall_s"] = time.perf_counter() - t0
    print("RESULT " + json.dumps(result), flush=True)


def measure(mode: str, whole: bool, fa: Path, bed: Path, out: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--genome",
        str(fa),
        "--bed",
        str(bed),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd + (["--whole"] if whole else []), capture_output=True, text=True, check=False)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not found:
        raise SystemExit(f"{mode} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(found[-1].removeprefix("RESULT "))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromosomes", type=int, default=6)
    ap.add_argument("--copies", type=int, default=10, help="E. coli copies per chromosome (4.94 Mb each)")
    ap.add_argument("--peaks", type=int, default=500)
    ap.add_argument("--mutate", type=float, default=0.01, help="fraction of bases substituted per copy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--skip-train", action="store_true", help="measure the data assembly only")
    ap.add_argument("--child", choices=["build", "data", "train", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--genome", help=argparse.SUPPRESS)
    ap.add_argument("--bed", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.whole, args.genome, args.bed, args.out)
        return
    folder = Path(tempfile.mkdtemp(prefix="bench_bio_genome_"))
    try:
        fa, bed = folder / "genome.fa", folder / "peaks.narrowPeak"
        spec = {k: getattr(args, k) for k in ("chromosomes", "copies", "mutate", "seed")}
        spec["n_peaks"] = args.peaks
        built = measure("build", False, fa, bed, json.dumps(spec))
        size = fa.stat().st_size
        print(
            f"genome: {args.chromosomes} records, {built['bases'] / 1e6:.1f} Mb ({size / 2**20:.0f} MiB FASTA), "
            f"{args.peaks} peaks; built in {built['wall_s']:.1f} s"
        )
        runs = [
            ("baseline", "imports only", False),
            ("data", "indexed, builds .fai", False),
            ("data", "indexed, reuses .fai", False),
            ("data", "whole records (former)", True),
        ]
        if not args.skip_train:
            runs += [("train", "indexed", False), ("train", "whole records (former)", True)]
        print(f"{'step':<9} {'path':<24} {'peak RSS MiB':>12} {'wall s':>8}  windows")
        rows = {}
        for i, (mode, label, whole) in enumerate(runs):
            r = measure(mode, whole, fa, bed, str(folder / f"model{i}"))
            rows[(mode, label)] = r
            extra = f"{r['windows']} sha256 {r['sha256']}" if "windows" in r else ""
            if "exit" in r and r["exit"] not in (0, None):
                extra = f"exit {r['exit']}"
            print(f"{mode:<9} {label:<24} {r['rss_mb']:>12.0f} {r['wall_s']:>8.1f}  {extra}")
        idx, old = rows[("data", "indexed, reuses .fai")], rows[("data", "whole records (former)")]
        base = rows[("baseline", "imports only")]["rss_mb"]
        print(
            f"data assembly above the imports: indexed {idx['rss_mb'] - base:.0f} MiB vs whole records "
            f"{old['rss_mb'] - base:.0f} MiB; same windows: {idx['sha256'] == old['sha256']}"
        )
        fai = fa.with_name(fa.name + ".fai")
        print(f".fai: {fai.stat().st_size} bytes beside the FASTA")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this parent process: peak RSS {own:.0f} MiB, below every child's: theirs are their own)")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
