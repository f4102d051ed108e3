"""carrousel-nlp translation in bf16 on CPU: how its latency is timed, side by side in one run.

``nlp translate export`` reports the eager translator's bf16 latency. It used to time core's autocast
around the float32 ``translate`` call; it now times ``translate`` with ``DecodeConfig(precision="bf16")``
(what ``--precision bf16`` runs: the decoder state and log-probabilities back in float32 at every step),
passed to core's ``measure_latency`` as the domain's ``bf16_runner``. This script times both ways against
float32 with the same model, sentence and timer (the export report's), so the two ratios can be compared.

Usage: ``python benchmarks/bench_nlp_translate_bf16.py --model DIR [--threads 1] [--json]``, DIR from
``nlp translate train``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import torch

from carrousel.core.export.report import BF16_RUNNER, measure_latency
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_deploy import BATCHES, WORDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a bundle written by 'nlp translate train'")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tr = Translator.from_pretrained(args.model)
    batches = {b: [WORDS] * b for b in BATCHES}

    def timed(precision: str) -> Callable[[int], object]:
        cfg = DecodeConfig(beam=1, batch_size=64, precision=precision)
        return lambda b: tr.translate(batches[b], cfg)

    out = {
        "autocast around fp32 translate (the report before)": measure_latency(
            {"eager": timed("fp32")}, BATCHES
        ),
        'translate(precision="bf16") (the report now)': measure_latency(
            {"eager": timed("fp32")}, BATCHES, bf16_runner=timed("bf16")
        ),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for name, ms in out.items():
        cells = [
            f"batch {b}: fp32 {ms[b]['eager']:.1f} ms, bf16 {ms[b][BF16_RUNNER]:.1f} ms "
            f"({ms[b]['eager'] / ms[b][BF16_RUNNER]:.2f}x)"
            for b in map(str, BATCHES)
            if BF16_RUNNER in ms[b]
        ]
        print(f"{name}: " + ("; ".join(cells) or "bf16 not measured on this device"))


if __name__ == "__main__":
    main()
