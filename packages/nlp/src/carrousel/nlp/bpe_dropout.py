"""BPE-dropout (Provilkov et al. 2020): stochastic, seeded segmentations of text by a trained BPE tokenizer.

A BPE tokenizer splits each word into characters and applies its learned merges in rank order until
none applies. BPE-dropout skips each candidate merge with probability ``p`` at every step (when all
are skipped the word stops there), so the same word is spelled in different, smaller pieces from one
epoch to the next; a network trained on those learns to compose words from pieces and copes better
with rare and unseen words. Only training uses it: validation and decoding keep the deterministic
segmentation.

HF ``tokenizers`` has BPE dropout built in, but its random numbers cannot be seeded; this module
replays the merges of the trained tokenizer in Python with a numpy generator instead, so the same seed
gives the same segmentations. Every piece it returns is a vocabulary entry (each merge's result is one);
a word with a character outside the vocabulary, or with a placeholder symbol
(:mod:`carrousel.nlp.placeholders`, kept exactly as decoding sees it), gets the deterministic pieces.
With ``p = 0`` the result equals :meth:`~carrousel.nlp.tokenization.TextTokenizer.encode`.
"""

from __future__ import annotations

import numpy as np

from carrousel.core.option_names import option
from carrousel.nlp.errors import TokenizerError
from carrousel.nlp.placeholders import ALPHABET
from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["BpeDropout"]

_PLACEHOLDERS = frozenset(ALPHABET)


class BpeDropout:
    """Seeded BPE-dropout segmentation by a trained BPE :class:`TextTokenizer`.

    Args:
        tokenizer: a BPE tokenizer trained by :func:`~carrousel.nlp.tokenization.train_tokenizer`.
        p: probability of skipping each candidate merge at each step, in ``[0, 1)``.

    Raises:
        TokenizerError: the tokenizer is not a BPE one, or ``p`` is outside ``[0, 1)``.

    Example:
        >>> from carrousel.nlp.config import TokenizerConfig
        >>> from carrousel.nlp.tokenization import train_tokenizer
        >>> tok = train_tokenizer(["open the file"] * 4, TokenizerConfig("bpe", 40, 1, False))
        >>> seg = BpeDropout(tok, 0.5)
        >>> tok.decode(seg.encode("open the file", np.random.default_rng(0)))
        'open the file'
        >>> BpeDropout(tok, 0.0).encode("open file", np.random.default_rng(0)) == tok.encode("open file")
        True
    """

    def __init__(self, tokenizer: TextTokenizer, p: float) -> None:
        if not 0.0 <= p < 1.0:
            raise TokenizerError(
                f"BPE dropout must be in [0, 1), got {p}; give a smaller {option('bpe_dropout')}"
            )
        if tokenizer.kind != "bpe":
            raise TokenizerError(f"BPE dropout needs a BPE tokenizer, not {tokenizer.kind!r}")
        self.tokenizer, self.p = tokenizer, float(p)
        vocab, merges = tokenizer.bpe_model()
        self._vocab = vocab
        self._ranks = {pair: rank for rank, pair in enumerate(merges)}

    def encode(self, text: str, rng: np.random.Generator | None) -> list[int]:
        """Token ids of ``text`` (no specials), each word segmented with dropout drawn from ``rng``.

        ``rng`` may be None only when ``p`` is 0: the tokenizer's own deterministic segmentation (which
        the merges replayed here with ``p = 0`` reproduce).
        """
        if rng is None:
            if self.p > 0.0:
                raise TokenizerError("BPE dropout needs a random generator")
            return self.tokenizer.encode(text)
        out: list[int] = []
        for word in self.tokenizer.pretokenize(text):
            pieces = self.segment(word, rng)
            if pieces is None:
                out += self.tokenizer.word_ids(word)
            else:
                out += [self._vocab[piece] for piece in pieces]
        return out

    def segment(self, word: str, rng: np.random.Generator) -> list[str] | None:
        """The pieces of one pre-tokenized word under dropout (they join back to ``word``); None where the
        word takes its deterministic pieces (a character outside the vocabulary, or a placeholder)."""
        if any(c not in self._vocab or c in _PLACEHOLDERS for c in word):
            return None
        pieces = list(word)
        ranks = self._ranks
        while len(pieces) > 1:
            found = [
                (rank, i)
                for i in range(len(pieces) - 1)
                if (rank := ranks.get((pieces[i], pieces[i + 1]))) is not None
            ]
            if not found:
                break
            kept = [c for c, u in zip(found, rng.random(len(found)), strict=True) if u >= self.p]
            if not kept:  # every candidate skipped: the word stops here (Provilkov et al.)
                break
            _, i = min(kept)
            pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
        if any(piece not in self._vocab for piece in pieces):  # a merge whose result the vocabulary lacks
            return None
        return pieces
