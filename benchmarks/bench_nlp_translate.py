"""carrousel-nlp translation decoding speed: sentences per second on CPU, greedy and beam search, batched
against one sentence at a time, measured side by side in one run.

Data: the held-out test split of the catalogue the model was trained on (``--pairs``, cut as in
training), e.g. a model from ``nlp translate train --pairs /usr/share/locale/de/LC_MESSAGES/git.mo``.

Usage: ``python benchmarks/bench_nlp_translate.py --model DIR --pairs git.mo [--sentences 200]
[--threads 1] [--beam 5] [--ensemble DIR2 --ensemble DIR3]``; with ``--ensemble`` the batched rates of the
model alone and of the ensemble (``nlp translate run --ensemble``) are also measured, alternating, three
rounds each, and their ratio printed.
"""

from __future__ import annotations

import argparse
import time

import torch

from carrousel.nlp.config import DecodeConfig, TranslateDataConfig
from carrousel.nlp.pipeline.translate import Translator, load_split


def rate(
    tr: Translator, texts: list[str], beam: int, batch_size: int, mbr: bool = True
) -> tuple[float, list[str]]:
    """Sentences per second of one decoding setting (the defaults; ``mbr`` False: without consensus), and
    its translations."""
    start = time.perf_counter()
    out = tr.translate(texts, DecodeConfig(beam=beam, batch_size=batch_size, mbr=mbr))
    return len(texts) / (time.perf_counter() - start), [t.text for t in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a bundle folder from nlp translate train")
    parser.add_argument("--pairs", required=True, help="the training pairs file (its test split is decoded)")
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--ensemble", action="append", default=[], help="members decoded with --model as one")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tr = Translator.from_pretrained(args.model)
    a = tr.bundle.assets
    s = a["split"]
    split = load_split(
        TranslateDataConfig((args.pairs,), tr.src, tr.tgt, s["valid"], s["test"], seed=s["seed"])
    )
    texts = [src for src, _ in split.test][: args.sentences]
    nets = 1 + len(tr.members)  # an ensemble bundle (train --members N) decodes its N networks
    print(f"{len(texts)} test sentences, {args.threads} thread(s), {nets} network(s) in the model")
    print(f"{'decoding':<10} {'batched (64)':>14} {'one at a time':>14} {'speed-up':>9} {'same output':>12}")
    for beam in (1, args.beam):
        batched, out_b = rate(tr, texts, beam, 64)
        single, out_s = rate(tr, texts, beam, 1)
        same = sum(x == y for x, y in zip(out_b, out_s, strict=True)) / len(texts)
        name = "greedy" if beam == 1 else f"beam {beam}"
        print(f"{name:<10} {batched:12.1f}/s {single:12.1f}/s {batched / single:8.1f}x {same:11.1%}")
    plain, _ = rate(tr, texts, args.beam, 64, mbr=False)
    print(
        f"beam {args.beam} batched without consensus (--no-mbr): {plain:.1f}/s (the n-best search and MBR cost)"
    )
    if args.ensemble:
        ens = Translator.from_pretrained(args.model, members=args.ensemble)
        print(f"ensemble of {1 + len(args.ensemble)} models, batched (64), median of 3 alternating rounds:")
        for beam in (1, args.beam):
            alone, together = [], []
            for _ in range(3):
                alone.append(rate(tr, texts, beam, 64)[0])
                together.append(rate(ens, texts, beam, 64)[0])
            a, e = sorted(alone)[1], sorted(together)[1]
            name = "greedy" if beam == 1 else f"beam {beam}"
            print(f"{name:<10} one model {a:8.1f}/s  ensemble {e:8.1f}/s  ensemble time {a / e:5.2f}x")


if __name__ == "__main__":
    main()
