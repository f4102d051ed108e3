"""What reading every listed recording's header costs when a corpus is listed (``load_corpus``).

Writes ``--files`` short 16 kHz WAVs (0.5 s each) and a TSV manifest naming them (path, transcript) to a
temporary folder, then lists the manifest ``--repeats`` times with the header check (as ``speech train`` and
``speech evaluate`` list it) and with it replaced by nothing (the listing before the check), interleaved,
and prints the median seconds of each and their ratio, and the check's cost per file. ``with_durations``
(which ``speech train`` runs after listing) is timed too: it reads no header the listing read (it read each
one again until 2026-12).

Usage: ``python benchmarks/bench_speech_listing.py [--files 2000] [--repeats 5] [--threads 1]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from carrousel.speech import segments
from carrousel.speech.data import load_corpus, with_durations


def _seconds(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        x = (0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32)
        for i in range(args.files):
            sf.write(str(root / f"{i}.wav"), x, 16000, subtype="PCM_16")
        rows = "".join(f"{i}.wav\tgo\n" for i in range(args.files))
        (root / "m.tsv").write_text(f"path\ttranscript\n{rows}", encoding="utf-8")
        spec = str(root / "m.tsv")
        checked, unchecked, durations = [], [], []
        real = segments.SegmentTimes.recording
        for _ in range(args.repeats):
            checked.append(_seconds(lambda: load_corpus(spec)))
            segments.SegmentTimes.recording = lambda self, file, where: None  # type: ignore[method-assign]
            try:
                unchecked.append(_seconds(lambda: load_corpus(spec)))
            finally:
                segments.SegmentTimes.recording = real  # type: ignore[method-assign]
            utts = load_corpus(spec)
            durations.append(_seconds(lambda: with_durations(utts)))  # noqa: B023
    c, u, d = (statistics.median(t) for t in (checked, unchecked, durations))
    print(f"files {args.files}, median of {args.repeats}")
    print(f"listing without the header check  {u:.3f} s")
    print(
        f"listing with the header check     {c:.3f} s  ({c / u:.1f}x; {(c - u) / args.files * 1e6:.0f} us per file)"
    )
    print(f"with_durations after listing      {d:.3f} s  (reads no header the listing read)")


if __name__ == "__main__":
    main()
