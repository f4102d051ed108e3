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

``--grid --model M --pairs FILE [--split all|valid]`` instead scores a grid of decoding choices of model
``M`` on those pairs (the proxy's ``unseen.tsv``, or git's validation split; never a test split or another
program's catalogue): the network alone, the dictionary fallback, and consensus (MBR) selection over the
n-best, the dictionary's and the copied source at several temperatures and weights, with and without
the fallback in front. Each beam size is searched once (its n-best kept) and every setting chooses from
the same hypotheses (``Translator.search`` then ``Translator.choose``), so the rows differ only in the
choice. Corpus BLEU / chrF (sacrebleu), and the share of sentences taken from the dictionary.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from carrousel.nlp.baselines import WORD_PATTERN
from carrousel.nlp.bleu_tokenize import choose_bleu_tokenize
from carrousel.nlp.config import DecodeConfig, TranslateDataConfig
from carrousel.nlp.pipeline.translate import Translator, load_split
from carrousel.nlp.pipeline.translate_eval import choice_counts, scored_pairs
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


GRID_TEMPERATURES = (1.0, 3.0)
GRID_DICTIONARY = (0.25, 0.5, 0.75, 1.0)
GRID_CONFIDENCE = (0.0, 1.0, 2.0)
GRID_FALLBACK = (0.0, 0.6, 0.8)


def settings() -> list[tuple[str, DecodeConfig]]:
    """The grid: (label, decoding) with the beam left to the caller."""
    plain = DecodeConfig(mbr=False, fallback_nll=0.6)
    rows = [("network alone", replace(plain, fallback_nll=0.0)), ("fallback 0.6 (before)", plain)]
    for fb in GRID_FALLBACK:
        for s in GRID_CONFIDENCE:
            for t in GRID_TEMPERATURES:
                for d in GRID_DICTIONARY:
                    dc = DecodeConfig(
                        fallback_nll=fb, mbr=True, mbr_temperature=t, mbr_dictionary=d, mbr_confidence=s,
                        mbr_copy=0.0,
                    )  # fmt: skip
                    rows.append((f"mbr T={t:g} d={d:g} s={s:g} fb={fb:g}", dc))
        dc = DecodeConfig(fallback_nll=fb, mbr=True, mbr_temperature=1.0, mbr_dictionary=0.5, mbr_copy=0.25)
        default = " (default)" if fb == DecodeConfig().fallback_nll else ""
        rows.append((f"mbr T=1 d=0.5 s=0 copy=0.25 fb={fb:g}{default}", dc))
    return rows


def grid(args: argparse.Namespace) -> None:
    """Scores every setting of :func:`settings` at beam 1 and 5 on one search each."""
    import sacrebleu

    tr = Translator.from_pretrained(args.model)
    pairs = scored_pairs(tr, [args.pairs], args.split, args.limit)
    sources, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    tok = choose_bleu_tokenize(tr.tgt, refs).name  # 13a for German, zh for Chinese
    bleu_of = sacrebleu.metrics.BLEU(tokenize=tok).corpus_score
    print(
        f"{args.model} on {args.pairs} ({args.split}, {len(pairs)} pairs); BLEU (tokenize {tok}) / chrF "
        "(dictionary share)"
    )
    dictionary = [tr.dictionary.translate(s) for s in sources]
    scores, outputs = {}, {}
    for beam in (1, 5):
        start = time.perf_counter()
        searched = tr.search(sources, DecodeConfig(beam=beam, mbr=True, batch_size=args.batch_size))
        took = time.perf_counter() - start
        for label, dc in settings():
            out = tr.choose(searched, replace(dc, beam=beam))
            texts = [t.text for t in out]
            outputs[label, beam] = texts
            n = choice_counts(out)
            scores[label, beam] = (
                bleu_of(texts, [refs]).score,
                sacrebleu.corpus_chrf(texts, [refs]).score,
                n["dictionary"] / len(out),
                n["nbest"] / len(out),
            )
        print(f"beam {beam}: search {took:.1f} s")
    print(f"{'setting':<46} {'greedy':>22} {'beam 5':>22}")
    for label, _ in settings():
        cells = [
            f"{b:6.2f} / {c:5.2f} ({d:3.0%}|{k:3.0%})" for b, c, d, k in (scores[label, 1], scores[label, 5])
        ]
        print(f"{label:<46} {cells[0]:>22} {cells[1]:>22}")
    bleu = bleu_of(dictionary, [refs]).score
    print(f"{'dictionary':<46} {bleu:6.2f} / {sacrebleu.corpus_chrf(dictionary, [refs]).score:5.2f}")
    print("(shares: of sentences from the dictionary | from an n-best hypothesis other than the best)")
    if args.pick:
        paired(outputs, refs, args.pick, tok)


def paired(outputs: dict[tuple[str, int], list[str]], refs: list[str], pick: str, tokenize: str) -> None:
    """sacrebleu's paired bootstrap (1,000 resamples) of the ``pick`` row against the fallback alone."""
    from sacrebleu.metrics import BLEU, CHRF
    from sacrebleu.significance import PairedTest

    for beam in (1, 5):
        systems = [("fallback 0.6", outputs["fallback 0.6 (before)", beam]), (pick, outputs[pick, beam])]
        if systems[0][1] == systems[1][1]:
            print(f"beam {beam}: {pick} translates every sentence as the fallback alone does")
            continue
        _, res = PairedTest(systems, {"BLEU": BLEU(tokenize=tokenize), "chrF": CHRF()}, [refs], "bs", 1000)()
        for metric in (k for k in res if k != "System"):
            base, new = res[metric]  # type: ignore[misc]
            print(
                f"beam {beam} {metric}: fallback 0.6 {base.score:.2f} (95% CI +-{base.ci:.2f}), {pick} "
                f"{new.score:.2f} (+-{new.ci:.2f}), paired bootstrap p = {new.p_value:.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", required=True, help="git's catalogue (the default split is taken from it)")
    parser.add_argument("--out", help="folder for train.tsv and unseen.tsv")
    parser.add_argument("--share", type=float, default=0.03, help="share of source word types held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", action="store_true", help="score the decoding grid of --model instead")
    parser.add_argument("--model", help="--grid: the model")
    parser.add_argument("--split", default="all", choices=("all", "valid"), help="--grid: pairs scored")
    parser.add_argument("--limit", type=int, default=0, help="--grid: at most this many pairs (0: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--pick", help="--grid: a setting's label to test against the fallback alone (bootstrap)"
    )
    args = parser.parse_args()
    if args.grid:
        if not args.model:
            parser.error("--grid needs --model")
        labels = [label for label, _ in settings()]
        if args.pick and args.pick not in labels:  # before the search: not a KeyError minutes later
            parser.error(f"--pick {args.pick!r} is not a row of the grid; pick one of: {'; '.join(labels)}")
        grid(args)
        return
    if not args.out:
        parser.error("--out is needed to build the proxy")
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
