"""carrousel-nlp translation across software it never saw: every German gettext catalogue on the machine.

The translator is trained on git's messages; #14 judges it on OTHER software. This scores one or more
models (side by side, each with its own word dictionary) on every catalogue of ``--locale-dir`` that is not
their training catalogue (``--exclude``, git by default) and holds at least ``--min-pairs`` clean pairs:
greedy and beam decoding with the defaults of ``nlp translate evaluate`` beside copying the source and the
word-by-word dictionary. Up to ``--limit`` pairs a catalogue (a seed-fixed sample) bound the time. ISO code
lists (``iso_*``: names of countries, languages and currencies, not software messages) are left out; a
catalogue that cannot be read is listed and skipped. These figures REPORT; nothing is chosen on them.

Usage: ``python benchmarks/bench_nlp_translate_catalogues.py --model mt/ [--model other/] [--limit 200]
[--json-out FILE] [--plot FILE.png]``; one thread per process (``--threads``). ``--add-json FILE`` puts the
rows of an earlier run's ``--json-out`` beside them (models scored in parallel processes, summed up in one
table and plot: ``--add-json a.json --add-json b.json --plot both.png``). ``--fallback-clauses`` decodes
with the dictionary fallback per clause (``DecodeConfig.fallback_clauses``), ``--usage-dictionary`` with usage
lines to the dictionary (``DecodeConfig.usage_dictionary``), ``--fallback-nll X`` with
another fallback threshold, ``--label NAME`` names one
model's rows (the same model decoded two ways). ``--model a/+b/+c/`` scores models trained on the same
pairs and vocabulary as one ensemble (``nlp translate run --model a/ --ensemble b/ --ensemble c/``). The
summary counts the catalogues where beam decoding beats the dictionary, with a two-sided sign test (ties
left out).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
from pathlib import Path

import torch

from carrousel.core.atomic import atomic_path, atomic_write_text
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import read_mo
from carrousel.nlp.parallel import clean_pairs
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_eval import score_pairs


def catalogues(
    folder: Path, exclude: set[str], min_pairs: int, limit: int
) -> dict[str, list[tuple[str, str]]]:
    """The clean pairs (at most ``limit``, a seed-0 sample) of each software catalogue in ``folder``."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.mo")):
        if path.stem in exclude or path.stem.startswith("iso_"):
            continue
        try:
            pairs = clean_pairs(read_mo(path))
        except TextDataError as exc:
            print(f"skipped {path.stem}: {exc}")
            continue
        if len(pairs) >= min_pairs:
            found[path.stem] = (
                random.Random(0).sample(pairs, limit) if limit and len(pairs) > limit else pairs
            )
    return found


def sign_test(wins: int, n: int) -> float:
    """Two-sided exact sign test: the chance of a split at least as uneven as ``wins`` of ``n`` (ties left
    out) when each catalogue is a fair coin."""
    if n == 0:
        return 1.0
    k = max(wins, n - wins)
    return min(1.0, 2.0 * sum(math.comb(n, i) for i in range(k, n + 1)) / 2.0**n)


def plot(rows: dict[str, dict[str, dict]], out: Path) -> None:
    """Beam BLEU minus the dictionary's, per catalogue and model (bars), to ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(next(iter(rows.values())))
    fig, ax = plt.subplots(figsize=(min(16.0, max(8.0, 0.3 * len(names))), 5.0))
    width = 0.8 / len(rows)
    for k, (model, per) in enumerate(rows.items()):
        gaps = [per[n]["bleu"]["beam"] - per[n]["bleu"]["dictionary"] for n in names]
        ax.bar([i + k * width for i in range(len(names))], gaps, width, label=model)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=90, fontsize=7)
    ax.set_ylabel("beam BLEU - dictionary BLEU")
    ax.set_title("Translation of software the model never saw (German catalogues)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", default=[], help="a bundle from nlp translate train (a/+b/: an ensemble)"
    )
    parser.add_argument(
        "--add-json", action="append", default=[], type=Path, help="rows of an earlier --json-out"
    )
    parser.add_argument("--locale-dir", type=Path, default=Path("/usr/share/locale/de/LC_MESSAGES"))
    parser.add_argument("--exclude", action="append", default=["git"], help="training catalogues (stem)")
    parser.add_argument("--min-pairs", type=int, default=100)
    parser.add_argument("--limit", type=int, default=200, help="pairs a catalogue at most (0: all)")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument(
        "--fallback-clauses", action="store_true", help="decode with DecodeConfig.fallback_clauses"
    )
    parser.add_argument(
        "--usage-dictionary", action="store_true", help="decode with DecodeConfig.usage_dictionary"
    )
    parser.add_argument(
        "--label", help="the rows' name in the table and JSON (one --model; default: its path)"
    )
    parser.add_argument(
        "--fallback-nll",
        type=float,
        default=DecodeConfig().fallback_nll,
        help="the dictionary fallback's threshold (default: nlp translate's)",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    if not args.model and not args.add_json:
        parser.error("give --model (or --add-json)")
    if args.label and len(args.model) != 1:
        parser.error("--label names the rows of one --model")
    torch.set_num_threads(args.threads)
    rows: dict[str, dict[str, dict]] = {}
    for earlier in args.add_json:
        rows.update(json.loads(earlier.read_text()))
    sets = catalogues(args.locale_dir, set(args.exclude), args.min_pairs, args.limit) if args.model else {}
    if args.model:
        print(f"{len(sets)} catalogues, {sum(map(len, sets.values()))} pairs, beam {args.beam}")
    decode = DecodeConfig(
        beam=args.beam,
        fallback_clauses=args.fallback_clauses,
        fallback_nll=args.fallback_nll,
        usage_dictionary=args.usage_dictionary,
    )
    for model in args.model:
        main_model, *others = model.split("+")
        tr = Translator.from_pretrained(main_model, members=others)
        per = {}
        for name, pairs in sets.items():
            ev = score_pairs(tr, pairs, decode, examples=2)
            per[name] = {
                "pairs": ev.pairs, "bleu": ev.bleu, "chrf": ev.chrf, "fallbacks": ev.fallbacks,
                "choices": ev.choices, "bleu_tokenize": ev.bleu_tokenize,
            }  # fmt: skip
            b, c = ev.bleu, ev.chrf
            print(
                f"{model} {name:<26} {ev.pairs:4d}  greedy {b['greedy']:6.2f}/{c['greedy']:6.2f}  "
                f"beam {b['beam']:6.2f}/{c['beam']:6.2f}  copy {b['copy']:6.2f}/{c['copy']:6.2f}  "
                f"dict {b['dictionary']:6.2f}/{c['dictionary']:6.2f}  ({ev.seconds:.0f} s)",
                flush=True,
            )
        rows[args.label or model] = per
    print(
        f"\n{'model':<28} {'mean BLEU beam/dict/copy':>28} {'mean chrF beam/dict/copy':>28} "
        "beam > dict (BLEU, chrF; two-sided sign test)"
    )
    for model, per in rows.items():
        mean = {
            m: {s: statistics.fmean(r[m][s] for r in per.values()) for s in ("beam", "dictionary", "copy")}
            for m in ("bleu", "chrf")
        }
        wins = [sum(r[m]["beam"] > r[m]["dictionary"] for r in per.values()) for m in ("bleu", "chrf")]
        ties = [sum(r[m]["beam"] == r[m]["dictionary"] for r in per.values()) for m in ("bleu", "chrf")]
        signs = [sign_test(w, len(per) - t) for w, t in zip(wins, ties, strict=True)]
        print(
            f"{model:<28} {mean['bleu']['beam']:8.2f} {mean['bleu']['dictionary']:8.2f} {mean['bleu']['copy']:8.2f}"
            f"   {mean['chrf']['beam']:8.2f} {mean['chrf']['dictionary']:8.2f} {mean['chrf']['copy']:8.2f}"
            f"   {wins[0]}/{len(per)} (p = {signs[0]:.3g}), {wins[1]}/{len(per)} (p = {signs[1]:.3g})"
        )
    if args.json_out:
        atomic_write_text(args.json_out, json.dumps(rows, indent=1, sort_keys=True) + "\n")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
