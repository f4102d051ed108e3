"""Word n-gram language models for CTC beam search: read an ARPA file or estimate one from text.

An ARPA file (the format of KenLM, SRILM, CMU Sphinx) is read as is (log10 probabilities and back-off
weights). Plain text (one sentence per line, normalised like transcripts) is turned into an
interpolated Kneser-Ney model of the given order (modified discounts per order from the counts of
counts), stored in the same back-off form, so both kinds are scored by one routine.

A word outside the model's vocabulary gets the ``<unk>`` probability. An ARPA file without a ``<unk>``
entry gets one tenth of its rarest word's unigram probability (as Kneser-Ney gives ``<unk>`` less than
any seen word, and as NRC Portage's heuristic ``<unk>`` sits just below the lowest unigram), not a fixed
floor: a floor far below the model's own words made an unknown word cost more than the acoustics of a
clearly spoken one, and the beam dropped it ("go vum" became "go").
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.encodings import file_lines
from carrousel.core.files import read_text
from carrousel.core.option_names import option
from carrousel.speech.errors import LanguageModelError
from carrousel.speech.text import normalize

__all__ = ["BOS", "EOS", "UNK", "WordLM", "load_lm"]

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
_LN10 = math.log(10.0)
_UNK_BELOW_RAREST = _LN10  # without <unk>: an unknown word is this far (ln) below the rarest known word
_UNK_FLOOR = -20.0  # ln p of an unknown word when the model has neither <unk> nor any usable unigram
_ARPA_NEVER = -99.0 * _LN10  # ARPA's conventional "never" (e.g. the unigram of <s>)

logger = logging.getLogger(__name__)


class WordLM:
    """A back-off word n-gram model (natural-log probabilities).

    Args:
        order: the model's n.
        probs: ``{ngram tuple: ln p(last | rest)}`` for every stored n-gram, unigrams included.
        backoffs: ``{history tuple: ln back-off weight}``.
    """

    @check_args
    def __init__(
        self, order: int, probs: dict[tuple[str, ...], float], backoffs: dict[tuple[str, ...], float]
    ):
        self.order = order
        self.probs = probs
        self.backoffs = backoffs
        self.vocab = frozenset(k[0] for k in probs if len(k) == 1) - {BOS, EOS, UNK}
        self.prefixes = frozenset(w[:i] for w in self.vocab for i in range(1, len(w) + 1))
        unk = probs.get((UNK,))
        self.has_unk = unk is not None
        self._unk = unk if unk is not None else _unk_estimate(probs, self.vocab)

    def logprob(self, history: Sequence[str], word: str) -> float:
        """``ln p(word | history)`` with back-off; unknown words get the ``<unk>`` probability."""
        if word not in self.vocab and word != EOS:
            return self._unk
        hist = tuple(history)[-(self.order - 1) :] if self.order > 1 else ()
        penalty = 0.0
        for start in range(len(hist) + 1):
            ctx = hist[start:]
            p = self.probs.get((*ctx, word))
            if p is not None:
                return penalty + p
            penalty += self.backoffs.get(ctx, 0.0)
        return penalty + self._unk  # pragma: no cover - every vocabulary word has a unigram

    @check_args
    def sentence_logprob(self, words: Sequence[str], eos: bool = True) -> float:
        """``ln p`` of a whole sentence, from ``<s>`` (and to ``</s>`` when ``eos``)."""
        history = [BOS]
        total = 0.0
        for w in [*words, EOS] if eos else words:
            total += self.logprob(history, w)
            history.append(w)
        return total

    @classmethod
    @check_args
    def from_sentences(cls, sentences: Iterable[str], order: int = 3) -> WordLM:
        """Interpolated Kneser-Ney estimate from normalised sentences.

        Raises:
            LanguageModelError: no words at all.
        """
        counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
        for sentence in sentences:
            words = [BOS, *sentence.split(), EOS]
            if len(words) == 2:
                continue
            for i in range(1, len(words)):
                for n in range(1, order + 1):
                    if i - n + 1 >= 0:
                        counts[n][tuple(words[i - n + 1 : i + 1])] += 1
        if not counts[1]:
            raise LanguageModelError("the language-model text holds no words; give sentences, one per line")
        # lower orders count distinct left contexts (Kneser-Ney), except n-grams that start a sentence
        kn: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
        kn[order] = counts[order]
        for n in range(1, order):
            for gram in counts[n + 1]:
                kn[n][gram[1:]] += 1
            for gram, c in counts[n].items():
                if gram[0] == BOS:
                    kn[n][gram] = c
        probs: dict[tuple[str, ...], float] = {}
        backoffs: dict[tuple[str, ...], float] = {}
        vocab = {g[0] for g in counts[1]} | {UNK}
        lower: dict[tuple[str, ...], float] = {(w,): 1.0 / len(vocab) for w in vocab}
        for n in range(1, order + 1):
            table = kn[n]
            of_count = Counter(table.values())
            d = of_count[1] / (of_count[1] + 2 * of_count[2]) if of_count[1] else 0.5
            d = min(max(d, 0.1), 0.9)
            totals: dict[tuple[str, ...], int] = defaultdict(int)
            types: dict[tuple[str, ...], int] = defaultdict(int)
            for gram, c in table.items():
                totals[gram[:-1]] += c
                types[gram[:-1]] += 1
            current: dict[tuple[str, ...], float] = {}
            for gram, c in table.items():
                h = gram[:-1]
                weight = d * types[h] / totals[h]
                base = lower.get(gram[1:], 0.0) if n > 1 else lower[(gram[-1],)]
                current[gram] = max(c - d, 0.0) / totals[h] + weight * base
                backoffs[h] = math.log(weight) if weight > 0 else -99.0
            if n == 1:
                mass = d * len(table) / sum(table.values())
                current[(UNK,)] = mass / len(vocab)
                for w in vocab:
                    current.setdefault((w,), mass / len(vocab))
                del backoffs[()]
            lower = {**lower, **current}
            probs.update({g: math.log(p) for g, p in current.items() if p > 0})
        return cls(order, probs, backoffs)

    @classmethod
    def from_arpa(cls, text: str, where: str = "ARPA file") -> WordLM:
        """Reads the ARPA back-off format (log10 values).

        Raises:
            LanguageModelError: no ``\\data\\`` section, or a malformed n-gram line.
        """
        probs: dict[tuple[str, ...], float] = {}
        backoffs: dict[tuple[str, ...], float] = {}
        order, section = 0, 0
        for number, raw in enumerate(file_lines(text), 1):
            line = raw.strip()
            if not line or line == "\\data\\" or line.startswith("ngram ") or line == "\\end\\":
                continue
            if line.startswith("\\") and line.endswith("-grams:"):
                section = int(line[1:].split("-")[0])
                order = max(order, section)
                continue
            if section == 0:
                continue
            parts = line.split()
            try:
                if len(parts) not in (section + 1, section + 2):
                    raise ValueError("wrong field count")
                gram = tuple(w if w in (BOS, EOS, UNK) else normalize(w) or w for w in parts[1 : section + 1])
                values = [float(v) for v in (parts[0], *parts[section + 1 :])]
                if any(math.isnan(v) or v == math.inf for v in values):  # -inf (probability 0) is allowed
                    raise ValueError("not a log10 probability")
                probs[gram] = values[0] * _LN10
                if len(values) == 2:
                    backoffs[gram] = values[1] * _LN10
            except ValueError:
                raise LanguageModelError(
                    f"{where}: line {number} is not an ARPA {section}-gram line; check the file"
                ) from None
        if order == 0:
            raise LanguageModelError(
                f"{where} has no \\data\\ n-gram sections; give an ARPA file or plain text"
            )
        lm = cls(order, probs, backoffs)
        if not lm.has_unk:
            logger.info("%s has no <unk>: an unknown word gets ln p = %.2f", where, lm.logprob([], UNK))
        return lm


def _unk_estimate(probs: dict[tuple[str, ...], float], vocab: frozenset[str]) -> float:
    """``ln p(<unk>)`` for a model without one: its rarest word's unigram, less ``_UNK_BELOW_RAREST``
    (unigrams at ARPA's -99 "never" or -inf are left out; :data:`_UNK_FLOOR` when none is left)."""
    usable = [p for (w, *rest), p in probs.items() if not rest and w in vocab and p > _ARPA_NEVER]
    return min(usable) - _UNK_BELOW_RAREST if usable else _UNK_FLOOR


@check_args
def load_lm(path: str | Path, order: int = 3) -> WordLM:
    """An ARPA file (a ``\\data\\`` header; any extension) or plain text estimated as Kneser-Ney.

    Raises:
        LanguageModelError: unreadable, empty or malformed.
    """
    try:
        text = read_text(path, option("lm"), "language model text")
    except LanguageModelError:
        raise
    except Exception as exc:  # DataError from core's file checks
        raise LanguageModelError(str(exc)) from None
    if text.lstrip().startswith("\\data\\"):
        return WordLM.from_arpa(text, str(path))
    return WordLM.from_sentences((normalize(line) for line in file_lines(text)), order)
