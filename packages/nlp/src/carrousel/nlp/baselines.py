"""Count-based baselines: language models (a Laplace unigram and interpolated Kneser-Ney n-grams) and a
word-by-word translation dictionary (:class:`WordDictionary`).

Both score the same token ids as the LSTM language model, so perplexities compare on one split and one
tokenisation. Kneser-Ney (Kneser & Ney 1995; the interpolated form of Chen & Goodman 1999) discounts
each order by ``D = n1 / (n1 + 2 n2)`` and backs off to continuation counts, down to a uniform
distribution over the vocabulary, so no token, unseen ones included, gets probability zero.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from carrousel.core.args import check_args
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.placeholders import WORD_OR_PLACEHOLDER, WORD_PATTERN
from carrousel.nlp.scripts import HAN_PER_WORD, UNSPACED, UNSPACED_SCRIPTS

__all__ = ["UNSPACED_NGRAMS", "WORD_PATTERN", "NGramLM", "WordDictionary", "perplexity_of"]

Gram = tuple[int, ...]


class NGramLM:
    """An n-gram language model over integer ids: Laplace unigram for ``order=1``, else Kneser-Ney.

    Args:
        order: n (1 = unigram).
        vocab_size: number of distinct ids (for the uniform floor).

    Example:
        >>> NGramLM(3, 10).fit([1, 2, 3, 1, 2, 3]).perplexity([1, 2, 3]) < 10
        True
    """

    @check_args
    def __init__(self, order: int, vocab_size: int) -> None:
        if order < 1 or vocab_size < 1:
            raise NLPConfigError(f"order and vocab_size must be >= 1, got {order}, {vocab_size}")
        self.order, self.vocab_size = order, vocab_size
        self.counts: list[Counter[Gram]] = []  # per order k (index k-1): raw (top) or continuation counts
        self.ctx_total: list[dict[Gram, int]] = []
        self.ctx_types: list[dict[Gram, int]] = []
        self.discount: list[float] = []

    def fit(self, ids: Sequence[int]) -> NGramLM:
        """Counts the n-grams of one token stream."""
        seq = list(ids)
        raw = [Counter(zip(*(seq[i:] for i in range(k)), strict=False)) for k in range(1, self.order + 1)]
        counts: list[Counter[Gram]] = []
        for k in range(1, self.order + 1):
            if k == self.order or self.order == 1:
                counts.append(raw[k - 1])
            else:  # continuation counts: distinct left extensions
                cont: Counter[Gram] = Counter()
                for gram in raw[k]:
                    cont[gram[1:]] += 1
                counts.append(cont)
        self.counts = counts
        self.ctx_total, self.ctx_types, self.discount = [], [], []
        for c in counts:
            total: dict[Gram, int] = defaultdict(int)
            types: dict[Gram, int] = defaultdict(int)
            for gram, n in c.items():
                total[gram[:-1]] += n
                types[gram[:-1]] += 1
            self.ctx_total.append(dict(total))
            self.ctx_types.append(dict(types))
            n1 = sum(1 for n in c.values() if n == 1)
            n2 = sum(1 for n in c.values() if n == 2)
            self.discount.append(n1 / (n1 + 2 * n2) if n1 + n2 else 0.5)
        return self

    def prob(self, context: Sequence[int], word: int) -> float:
        """P(word | the last ``order - 1`` ids of context)."""
        if not self.counts:
            raise NLPConfigError("fit the n-gram model before scoring")
        if self.order == 1:
            total = self.ctx_total[0].get((), 0)
            return (self.counts[0].get((word,), 0) + 1) / (total + self.vocab_size)
        h = tuple(context[-(self.order - 1) :]) if self.order > 1 else ()
        p = 1.0 / self.vocab_size
        for k in range(1, len(h) + 2):  # from unigrams up to the longest available context
            ctx = h[len(h) - (k - 1) :] if k > 1 else ()
            total = self.ctx_total[k - 1].get(ctx, 0)
            if total == 0:
                continue
            d = self.discount[k - 1]
            c = self.counts[k - 1].get((*ctx, word), 0)
            p = max(c - d, 0.0) / total + d * self.ctx_types[k - 1][ctx] / total * p
        return p

    def log_probs(self, ids: Sequence[int]) -> list[float]:
        """Natural-log probability of each of ``ids[1:]``, given what precedes it in ``ids``."""
        seq = list(ids)
        n = self.order - 1
        return [math.log(self.prob(seq[max(0, i - n) : i], seq[i])) for i in range(1, len(seq))]

    def log_likelihood(self, ids: Sequence[int]) -> tuple[float, int]:
        """Sum of natural-log probabilities of ``ids[1:]`` (each given what precedes it in ``ids``), count."""
        logs = self.log_probs(ids)
        return _summed(logs), len(logs)

    def perplexity(self, ids: Sequence[int]) -> float:
        """``exp`` of the mean negative log-likelihood of ``ids[1:]``."""
        return perplexity_of(self.log_probs(ids))


def _summed(values: Sequence[float]) -> float:
    total = 0.0
    for v in values:  # one by one, in order (as the perplexities were always summed; not math.fsum)
        total += v
    return total


def perplexity_of(log_probs: Sequence[float]) -> float:
    """``exp`` of the mean negative of ``log_probs`` (:meth:`NGramLM.log_probs`).

    Raises:
        NLPConfigError: no probability (perplexity needs at least two ids).
    """
    if not log_probs:
        raise NLPConfigError("perplexity needs at least two ids")
    return math.exp(-_summed(log_probs) / len(log_probs))


UNSPACED_NGRAMS = 6  # longest target unit, in characters, in scripts written without spaces (Han, kana)
_SCRIPT_RUN = re.compile(f"(?:{UNSPACED.pattern})+")
_SPACE_BETWEEN = re.compile(f"(?<={UNSPACED.pattern})[ \t]+(?={UNSPACED.pattern})")


def _words(text: str) -> list[str]:
    """The words of ``text`` outside its placeholders (``%s``, ``--force``, ``/usr/lib``, ``42``...)."""
    return [m.group(0) for m in WORD_OR_PLACEHOLDER.finditer(text) if m.lastgroup == "word"]


def _units(word: str, ngrams: int) -> list[str]:
    """A target word's units: the word itself, or, where it holds runs of a script written without spaces,
    each run's character n-grams (1 to ``ngrams`` long; ``ngrams * per word / per Han word`` in Thai,
    Khmer and Myanmar, whose words are longer) and the rest's words."""
    if ngrams < 1 or not UNSPACED.search(word):
        return [word]
    units: list[str] = []
    at = 0
    for m in _SCRIPT_RUN.finditer(word):
        units += WORD_PATTERN.findall(word[at : m.start()])
        run, at = m.group(0), m.end()
        per = next((p for pattern, p in UNSPACED_SCRIPTS if pattern.match(run)), HAN_PER_WORD)
        longest = max(ngrams, round(ngrams * per / HAN_PER_WORD))
        units += [run[i : i + n] for n in range(1, longest + 1) for i in range(len(run) - n + 1)]
    return units + WORD_PATTERN.findall(word[at:])


def _fragments(counts: Counter[str]) -> set[str]:
    """The unspaced units that are part of a unit one character longer wherever they occur (the same count
    of sentences: ``作区`` of ``工作区``), so no unit of their own."""
    out: set[str] = set()
    for unit, n in counts.items():
        if len(unit) > 1 and UNSPACED.match(unit):
            out.update(part for part in (unit[:-1], unit[1:]) if counts[part] == n)
    return out


class WordDictionary:
    """A word-by-word translation baseline learned from sentence pairs.

    Each source word (case-folded) maps to the target unit that co-occurs with it most specifically
    (the highest Dice coefficient ``2 c(s, t) / (c(s) + c(t))`` over sentence pairs, ties to the more
    frequent pair). Translation replaces each known word in place and keeps unknown words, punctuation
    and spacing as in the source; a word whose translation is itself is kept as written (``GnuPG`` stays
    ``GnuPG``, though the table holds it case-folded).

    Placeholders (:mod:`carrousel.nlp.placeholders`: ``%s``, ``%1$s``, ``--force``, ``/usr/lib``,
    numbers) are no words on either side: the ``s`` of ``%s`` was a word in every catalogue, so that in
    git's Chinese one ``cannot`` meant ``s``. A target unit is a word, except in scripts written without
    spaces (Chinese, Japanese, Thai...), where a run of characters (median 7 Han characters in git's
    Chinese catalogue) is a phrase: there the units are its character n-grams, up to ``ngrams`` long,
    but for fragments (an n-gram found only inside one same longer n-gram, as ``作区`` in ``工作区``),
    Dice choosing among them (ties to the length nearest 2, the commonest Chinese word's), and two
    translated units meet without the source's space.

    Example:
        >>> d = WordDictionary.fit([("red car", "rotes Auto"), ("red house", "rotes Haus")])
        >>> d.translate("red car")
        'rotes Auto'
    """

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    @classmethod
    @check_args
    def fit(cls, pairs: Sequence[tuple[str, str]], ngrams: int = UNSPACED_NGRAMS) -> WordDictionary:
        """Learns the table from ``(source, target)`` pairs; ``ngrams``: the longest unit of an unspaced
        script, in characters (0: a whole run is one unit, as before)."""
        if ngrams < 0:
            raise NLPConfigError(f"ngrams must be >= 0, got {ngrams}")
        src_count: Counter[str] = Counter()
        tgt_count: Counter[str] = Counter()
        joint: Counter[tuple[str, str]] = Counter()
        for s, t in pairs:
            sw = {w.casefold() for w in _words(s)}
            tw = {u for w in _words(t) for u in _units(w, ngrams)}
            src_count.update(sw)
            tgt_count.update(tw)
            joint.update((a, b) for a in sw for b in tw)
        fragments = _fragments(tgt_count) if ngrams else set()
        best: dict[str, tuple[float, int, int, str]] = {}
        for (a, b), n in joint.items():
            if b in fragments:
                continue
            near = -abs(len(b) - 2) if UNSPACED.match(b) else 0  # ties: the unit of a likely length
            key = (2.0 * n / (src_count[a] + tgt_count[b]), n, near, b)
            if a not in best or key > best[a]:
                best[a] = key
        return cls({a: v[3] for a, v in sorted(best.items())})

    def translate(self, text: str) -> str:
        """``text`` with every known word replaced by its translation (words translated as themselves,
        unknown ones and placeholders as written)."""

        def word(m: re.Match[str]) -> str:
            w = m.group(0)
            if m.lastgroup != "word":
                return w
            folded = w.casefold()
            found = self.table.get(folded, folded)
            return w if found == folded else found

        out = WORD_OR_PLACEHOLDER.sub(word, text)
        return _SPACE_BETWEEN.sub("", out) if UNSPACED.search(out) else out
