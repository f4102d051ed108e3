"""What the unquoted-delimiter check of carrousel-nlp's CSV reading costs beside the reading itself, in one run.

``carrousel.nlp.table_cells.check_fields`` reads a CSV once more, with Python's ``csv`` module, before
``datasets`` (pandas) reads it: a row with more fields than the header (an unquoted comma in a text) is one
clear error instead of shifted labels. The benchmark writes a synthetic two-column CSV of ``--mb`` MB
(random review-like texts, quoted, and a ``pos``/``neg`` label) in a temporary folder, then times the check
alone and :func:`carrousel.nlp.data.load_texts` (which runs the check, then ``datasets`` into a fresh cache
in the same temporary folder, then the per-row label checks), best of ``--rounds``. Seconds are CPU seconds
of the process (``time.process_time``), less disturbed by other work on a shared machine than elapsed time.
Printed: both times and the check's share of ``load_texts``.

Usage: ``python benchmarks/bench_nlp_data_check.py [--mb 200] [--rounds 1]``
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

_VOCAB = "the movie was great awful plot acting truly loved it boring long short film scene, music"
_WORDS = _VOCAB.split()


def write_csv(path: Path, mb: int, seed: int = 0) -> int:
    """Writes ``mb`` MB of ``text,label`` rows to ``path``; returns the number of rows."""
    rng = random.Random(seed)
    rows, size = 0, 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("text,label\n")
        while size < mb * 2**20:
            text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 30)))
            line = f'"{text}",{rng.choice(("pos", "neg"))}\n'
            fh.write(line)
            rows, size = rows + 1, size + len(line)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the synthetic CSV")
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HF_DATASETS_CACHE"] = str(Path(tmp) / "cache")  # before datasets is imported
        from carrousel.nlp import data, table_cells
        from carrousel.nlp.config import TextDataConfig

        path = Path(tmp) / "big.csv"
        rows = write_csv(path, args.mb)
        check, load = float("inf"), float("inf")
        for _ in range(args.rounds):
            t = time.process_time()
            table_cells.check_fields(path, "utf-8", ",")
            check = min(check, time.process_time() - t)
            t = time.process_time()
            texts = data.load_texts(TextDataConfig(source=str(path)))
            load = min(load, time.process_time() - t)
        assert len(texts) == rows
        print(
            f"{path.stat().st_size / 2**20:.0f} MB CSV, {rows} rows: check_fields {check:.2f} s, "
            f"load_texts {load:.2f} s (the check included): the check is {check / load:.1%} of it"
        )


if __name__ == "__main__":
    main()
