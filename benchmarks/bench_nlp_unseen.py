"""carrousel-nlp translation: a git-only proxy for "messages of other software" (words never seen).

Other programs' catalogues are full of words that git's never uses; a translator trained on git must
handle them without having seen them, and it may not be tuned on those catalogues. This script builds
the proxy from git alone: among the training and validation pairs of the default split (the test split
is never touched) it holds out a random ``--share`` of the source word types; every pair containing one
of them goes to ``unseen.tsv``, the others to ``train.tsv``. A model trained on ``train.tsv`` meets in
``unseen.tsv`` sentences with 16% of their words unseen (at the default share), spelled and used as
nothing it trained on, which is what it meets in apt's or bash's messages.

Usage: ``python benchmarks/bench_nlp_unseen.py --pairs /usr/share/locale/de/LC_MESSAGES/git.mo --out DIR``,
then compare variants on the proxy with
``nlp translate train --pairs DIR/train.tsv --out M [options]`` and
``nlp translate evaluate --model M --pairs DIR/unseen.tsv --split all``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from carrousel.nlp.baselines import WORD_PATTERN
from carrousel.nlp.config import TranslateDataConfig
from carrousel.nlp.pipeline.translate import load_split
from carrousel.nlp.placeholders import mask


def words(text: str) -> set[str]:
    """The case-folded source words of a text, placeholders (formats, options, ...) left out."""
    return {w.casefold() for w in WORD_PATTERN.findall(mask(text)[0])}


def write_tsv(path: Path, pairs: list[tuple[str, str]]) -> None:
    """Pairs as a TSV with an ``en``/``de`` header (tabs and newlines inside a text become spaces)."""
    rows = ["en\tde", *(f"{' '.join(s.split())}\t{' '.join(t.split())}" for s, t in pairs)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", required=True, help="git's catalogue (the default split is taken from it)")
    parser.add_argument("--out", required=True, help="folder for train.tsv and unseen.tsv")
    parser.add_argument("--share", type=float, default=0.03, help="share of source word types held out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    split = load_split(TranslateDataConfig((args.pairs,)))
    pool = split.train + split.valid
    types = sorted({w for s, _ in pool for w in words(s)})
    rng = np.random.default_rng(args.seed)
    held = set(rng.choice(types, round(args.share * len(types)), replace=False).tolist())
    unseen = [p for p in pool if words(p[0]) & held]
    train = [p for p in pool if not words(p[0]) & held]
    share = sum(w.casefold() in held for s, _ in unseen for w in WORD_PATTERN.findall(mask(s)[0])) / max(
        1, sum(len(WORD_PATTERN.findall(mask(s)[0])) for s, _ in unseen)
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(out / "train.tsv", train)
    write_tsv(out / "unseen.tsv", unseen)
    print(
        f"{len(held)} of {len(types)} word types held out; {len(train)} training pairs, {len(unseen)} proxy"
    )
    print(f"pairs ({share:.1%} of their words unseen) in {out}")


if __name__ == "__main__":
    main()
