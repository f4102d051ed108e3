"""carrousel-nlp's word-by-word dictionary (the baseline and the translator's fallback), before and after.

Fits :class:`carrousel.nlp.baselines.WordDictionary` on the training split of git's catalogue of each
``--locale`` (the split ``nlp translate train`` cuts with its defaults) and scores it, BLEU tokenized as
``nlp translate evaluate`` does for that target (``zh`` for Chinese) and chrF, on git's validation and
test splits and on every clean pair of the other catalogues (apt, dpkg, bash, gnupg2 by default). Rows:

* ``before``: the table as it was built before placeholders were kept out of it and unspaced targets were
  cut into units (every ``\\w+`` match a word on both sides, a run of Han characters one target word),
  rebuilt here as it was; older bundles keep such a table;
* ``kept``: placeholders (``%s``, ``--force``, ``/usr/lib``, numbers) are no dictionary words, ``ngrams=0``;
* ``ngrams N``: also a target written without spaces cut into character n-grams up to N long.

With ``--model DIR`` (a bundle trained on git's catalogue of the one ``--locale``) it also scores that
network's beam search with the default decoding (``nlp translate evaluate``'s beam row: the dictionary
fallback above ``fallback_nll``, the consensus), once with the dictionary stored in the bundle
(``stored``) and once with one fitted by the current code on the same training split (``refit``): one
search, the two dictionaries only in the choice (:meth:`Translator.choose`), with the texts the
fallback took. Choose only on ``git valid``; the other columns report. Usage:
``python benchmarks/bench_nlp_dictionary.py [--locale de --locale zh_CN] [--ngrams 2 --ngrams 4]
[--model DIR --locale zh_CN] [--threads 1] [--json-out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from carrousel.core.atomic import atomic_write_text
from carrousel.nlp.baselines import WORD_PATTERN, WordDictionary
from carrousel.nlp.bleu_tokenize import choose_bleu_tokenize
from carrousel.nlp.config import DecodeConfig, TranslateDataConfig
from carrousel.nlp.parallel import clean_pairs, read_pairs
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_train import load_split

Pairs = Sequence[tuple[str, str]]


def before(pairs: Pairs) -> Callable[[str], str]:
    """The dictionary as it was fitted and applied before placeholders and unspaced units (a copy)."""
    src_count: Counter[str] = Counter()
    tgt_count: Counter[str] = Counter()
    joint: Counter[tuple[str, str]] = Counter()
    for s, t in pairs:
        sw = {w.casefold() for w in WORD_PATTERN.findall(s)}
        tw = set(WORD_PATTERN.findall(t))
        src_count.update(sw)
        tgt_count.update(tw)
        joint.update((a, b) for a in sw for b in tw)
    best: dict[str, tuple[float, int, str]] = {}
    for (a, b), n in joint.items():
        key = (2.0 * n / (src_count[a] + tgt_count[b]), n, b)
        if a not in best or key > best[a]:
            best[a] = key
    table = {a: v[2] for a, v in best.items()}

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        folded = w.casefold()
        found = table.get(folded, folded)
        return w if found == folded else found

    return lambda text: WORD_PATTERN.sub(word, text)


def score(hyps: Sequence[str], pairs: Pairs, tgt: str) -> tuple[float, float]:
    """Corpus BLEU (tokenized as ``evaluate`` chooses for ``tgt``) and chrF of ``hyps`` against ``pairs``."""
    import sacrebleu

    refs = [t for _, t in pairs]
    bleu = sacrebleu.metrics.BLEU(tokenize=choose_bleu_tokenize(tgt, refs).name)
    return bleu.corpus_score(list(hyps), [refs]).score, sacrebleu.corpus_chrf(list(hyps), [refs]).score


def model_rows(model: Path, train: Pairs, sets: dict[str, Pairs]) -> dict[str, dict[str, list[float]]]:
    """Beam BLEU / chrF / fallbacks of ``model`` with its stored dictionary and with one refitted on ``train``."""
    tr, dc = Translator.from_pretrained(model), DecodeConfig()
    tables = {"stored": tr.dictionary, "refit": WordDictionary.fit(train)}
    rows: dict[str, dict[str, list[float]]] = {k: {} for k in tables}
    for name, pairs in sets.items():
        start = time.perf_counter()
        searched = tr.search([s for s, _ in pairs], dc)
        for key, dictionary in tables.items():
            tr.dictionary = dictionary
            out = tr.choose(searched, dc)
            bleu, chrf = score([t.text for t in out], pairs, tr.tgt)
            rows[key][name] = [round(bleu, 2), round(chrf, 2), sum(t.fallback for t in out)]
        print(f"{name}: searched in {time.perf_counter() - start:.0f} s")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", action="append", help="target locales (default: de and zh_CN)")
    parser.add_argument("--ngrams", action="append", type=int, help="unit lengths to try (default 2 3 4 6)")
    parser.add_argument("--other", action="append", help="other catalogues (default apt dpkg bash gnupg2)")
    parser.add_argument("--locale-root", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--model", type=Path, help="a bundle trained on git's catalogue of the --locale")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows: dict[str, dict[str, dict[str, list[float]]]] = {}
    for loc in args.locale or ["de", "zh_CN"]:
        folder = args.locale_root / loc / "LC_MESSAGES"
        split = load_split(TranslateDataConfig((str(folder / "git.mo"),), "en", loc))
        sets: dict[str, Pairs] = {"git valid": split.valid, "git test": split.test}
        for name in args.other or ["apt", "dpkg", "bash", "gnupg2"]:
            path = folder / f"{name}.mo"
            if path.exists():
                sets[name] = clean_pairs(read_pairs([str(path)], "en", loc))
        systems: dict[str, Callable[[str], str]] = {
            "before": before(split.train),
            "kept": WordDictionary.fit(split.train, ngrams=0).translate,
        }
        for n in args.ngrams or [2, 3, 4, 6]:
            start = time.perf_counter()
            systems[f"ngrams {n}"] = WordDictionary.fit(split.train, ngrams=n).translate
            print(f"{loc} ngrams {n}: fitted in {time.perf_counter() - start:.1f} s")
        print(f"\nen->{loc}, dictionary fitted on git's {len(split.train)} training pairs; BLEU / chrF")
        print(f"{'':<10}" + "".join(f"{k} ({len(v)})".rjust(18) for k, v in sets.items()))
        per: dict[str, dict[str, list[float]]] = {}
        for name, translate in systems.items():
            per[name] = {
                k: [round(x, 2) for x in score([translate(x) for x, _ in v], v, loc)] for k, v in sets.items()
            }
            print(f"{name:<10}" + "".join(f"{b:8.2f} /{c:6.2f}  " for b, c in per[name].values()))
        rows[loc] = per
        if args.model:
            mine = model_rows(args.model, split.train, sets)
            print(
                f"\n{args.model}, beam {DecodeConfig().beam}: BLEU / chrF (texts the dictionary fallback took)"
            )
            for name, row in mine.items():
                print(f"{name:<10}" + "".join(f"{b:7.2f} /{c:6.2f} ({n:.0f})" for b, c, n in row.values()))
            rows[f"{loc} {args.model}"] = mine
    if args.json_out:
        atomic_write_text(args.json_out, json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
