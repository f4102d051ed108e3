"""Reading a UCSC ``.2bit`` genome vs the FASTA of the same genome, side by side in one run.

Builds, in a temporary folder, one record of ``--mb`` megabases of random DNA with a soft-masked run every
~550 bases on average (hg38's RepeatMasker density: 5.6 M runs over 3.1 Gb) and a 100 kb N gap, written
both as FASTA (60 bases a line) and as ``.2bit`` (the writer of ``tests/bio/test_bio_twobit.py``). Prints,
for each file: the streaming read of every base as the scan reads it (``iter_chunks(mask_lower=True)``,
Mb/s), and the random 1 kb windows of ``bio train``'s background (``Genome.random_windows``, µs a
window); the sha256 of the codes shows both files read alike.

Usage (from the repository root): ``python benchmarks/bench_bio_twobit.py [--mb 20]``
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carrousel.bio.fasta import iter_chunks
from carrousel.bio.genome import Genome
from tests.bio.test_bio_twobit import write_2bit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20, help="megabases in the genome")
    args = parser.parse_args()
    n = args.mb * 1_000_000
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, n)].copy()
    edges = np.sort(rng.choice(n, 2 * (n // 550), replace=False))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        letters[a:b] |= 0x20
    letters[n // 4 : n // 4 + 100_000] = ord("N")
    with tempfile.TemporaryDirectory() as tmp:
        fa, tb = Path(tmp) / "g.fa", Path(tmp) / "g.2bit"
        write_2bit(tb, {"chrA": letters.tobytes().decode()})
        with open(fa, "wb") as fh:
            fh.write(b">chrA\n")
            for i in range(0, n, 60):
                fh.write(letters[i : i + 60].tobytes() + b"\n")
        print(f"genome: {n:,} bases, {edges.size // 2:,} masked runs; FASTA {fa.stat().st_size:,} B, "
              f".2bit {tb.stat().st_size:,} B")  # fmt: skip
        for path in (fa, tb):
            digest = hashlib.sha256()
            t0 = time.perf_counter()
            for chunk in iter_chunks(path, mask_lower=True):
                digest.update(chunk.codes.tobytes())
            stream = time.perf_counter() - t0
            with Genome.open(path) as genome:
                genome.random_windows(1_000, 100, np.random.default_rng(1))  # warm: the index is built
                t0 = time.perf_counter()
                genome.random_windows(1_000, 2_000, np.random.default_rng(1))
                window = (time.perf_counter() - t0) / 2_000
            print(f"{path.suffix:>6}: stream {n / stream / 1e6:7.0f} Mb/s   random 1 kb window "
                  f"{window * 1e6:5.0f} us   codes sha256 {digest.hexdigest()[:16]}")  # fmt: skip


if __name__ == "__main__":
    main()
