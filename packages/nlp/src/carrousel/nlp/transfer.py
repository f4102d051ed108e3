"""The transfer set of distillation: texts the teacher scores for the student beyond the labelled ones.

Tang et al. (2019, "Distilling task-specific knowledge from BERT into simple neural networks") grow it
from the training texts themselves: each word is masked with probability ``p_mask`` (the student and the
teacher both see ``[UNK]``), and with probability ``p_ngram`` the copy is cut to a random n-gram of 1 to 5
words. :func:`augment_texts` makes such copies; :func:`read_unlabelled` reads the user's own unlabelled
texts (one per line; blank lines skipped); :func:`balanced_rows` picks a subset of them whose
teacher-predicted classes have the training prior. :func:`tagged_sentences` turns a part-of-speech tagged
corpus (``word/TAG`` tokens, e.g. the ``nlp.oanc`` and ``nlp.wsj`` samples) into plain sentences: general
English text for the transfer set.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.encodings import LEGACY_TEXT, file_lines
from carrousel.core.files import read_text
from carrousel.core.option_names import option
from carrousel.nlp.errors import TextDataError

__all__ = ["MASK", "augment_texts", "balanced_rows", "detokenise", "read_unlabelled", "tagged_sentences"]

logger = logging.getLogger(__name__)

MASK = "[UNK]"  # the student's unknown token and a special token of MiniLM's word pieces


@check_args
def augment_texts(
    texts: Sequence[str],
    copies: int,
    seed: int = 0,
    p_mask: float = 0.1,
    p_ngram: float = 0.25,
    max_n: int = 5,
) -> list[str]:
    """``copies`` augmented versions of each text (duplicates and the originals themselves dropped).

    Args:
        texts: the training texts.
        copies: tries per text.
        seed: the random seed (the same seed gives the same copies).
        p_mask: probability that a word becomes ``[UNK]``.
        p_ngram: probability that a copy is cut to an n-gram of 1 to ``max_n`` words.
        max_n: longest n-gram.
    """
    rng = random.Random(seed)
    seen = {t.strip() for t in texts}
    out: list[str] = []
    for text in texts:
        words = text.split()
        if not words:
            continue
        for _ in range(copies):
            new = [MASK if rng.random() < p_mask else w for w in words]
            if rng.random() < p_ngram and len(new) > 1:
                n = rng.randint(1, min(max_n, len(new)))
                start = rng.randint(0, len(new) - n)
                new = new[start : start + n]
            candidate = " ".join(new)
            if candidate not in seen and any(w != MASK for w in new):
                seen.add(candidate)
                out.append(candidate)
    return out


@check_args
def read_unlabelled(files: Sequence[str | Path], limit: int) -> list[str]:
    """Texts of plain-text files, one per line (UTF-8, else Windows-1252 with a warning; or gzip), blank lines skipped, at most ``limit``.

    Raises:
        TextDataError: a missing or unreadable file, or files without any text.
    """
    out: list[str] = []
    for path in files:
        lines = [
            line.strip()
            for line in file_lines(read_text(path, option("unlabelled"), "text", encodings=LEGACY_TEXT))
        ]
        out.extend(line for line in lines if line)
        if len(out) > limit:
            logger.warning("kept the first %d unlabelled texts of %d read", limit, len(out))
            return out[:limit]
    if files and not out:
        # --unlabelled a.txt, b.txt in a command; unlabelled=('a.txt', 'b.txt') to a Python caller
        raise TextDataError(f"{option('unlabelled', files)}: no text found (one text per line)")
    return out


@check_args
def balanced_rows(predicted: np.ndarray, shares: np.ndarray, seed: int = 0) -> np.ndarray:
    """Indices of the largest subset of rows whose predicted classes occur in the proportions ``shares``.

    Every class keeps ``round(n * shares[c])`` of its rows, drawn at random, with ``n`` as large as the
    scarcest class (relative to its share) allows.

    Args:
        predicted: ``(N,)`` class index of each row (e.g. the teacher's argmax on unlabelled texts).
        shares: ``(C,)`` target share of each class (e.g. the training prior; sums to 1).
        seed: the random seed of the draw.

    Returns:
        ``(M,)`` sorted row indices, ``M <= N`` (empty when a class of positive share is never predicted).
    """
    predicted, shares = np.asarray(predicted, dtype=np.int64), np.asarray(shares, dtype=np.float64)
    counts = np.bincount(predicted, minlength=len(shares))[: len(shares)]
    wanted = shares > 0
    n = float(np.min(counts[wanted] / shares[wanted])) if wanted.any() else 0.0
    rng = np.random.default_rng(seed)
    keep = [
        rng.choice(np.flatnonzero(predicted == c), min(round(n * share), int(counts[c])), replace=False)
        for c, share in enumerate(shares)
    ]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


_CLITICS = {"'s", "'re", "'ve", "'m", "'ll", "'d", "n't"}
_LEFT = _CLITICS | {",", ".", "?", "!", ";", ":", ")", "]", "}", "%", "'", "''"}  # attach to the word before
_RIGHT = {"(", "[", "{", "$", "#", "``"}  # attach to the word after
_WORDS = {"``": '"', "''": '"', "&slash;": "/"}
_JOIN = {"-", "&slash;"}  # joins its neighbours: 18 - month, Boston &slash; Cambridge


def detokenise(tokens: Sequence[str]) -> str:
    """Joins Penn-Treebank-style tokens into plain text.

    Punctuation, closing brackets and clitics (``'s``, ``n't``, ``'re`` ...) attach to the word before;
    opening brackets, ``$`` and opening quotes to the word after; a lone ``-`` or ``&slash;`` joins both
    neighbours (``18 - month`` -> ``18-month``). Straight double quotes alternate between opening and closing.
    """
    out: list[str] = []
    glue = True  # no space before the next token
    quotes = 0
    for token in tokens:
        word = _WORDS.get(token, token)
        if token == '"':
            quotes += 1
            opening = quotes % 2 == 1
        else:
            opening = token in _RIGHT
        left = token in _JOIN or (token == '"' and not opening) or token.lower() in _LEFT
        out.append(word if glue or left or not out else " " + word)
        glue = opening or token in _JOIN
    return "".join(out).strip()


@check_args
def tagged_sentences(path: str | Path, min_words: int = 4, max_words: int = 60) -> list[str]:
    """Plain sentences of a part-of-speech tagged corpus: ``word/TAG`` tokens, one or more sentences a line.

    The tags are dropped (the text before each token's last ``/``; a token without one is skipped), a line
    is cut after a sentence-final token (tag ``.``) that a capitalised token follows and at its end, and each
    sentence is detokenised
    (:func:`detokenise`). Sentences of ``min_words`` to ``max_words`` words are kept, each once, in file
    order.

    Raises:
        TextDataError: a missing or unreadable file, or one without a tagged token.
    """
    out: dict[str, None] = {}

    def keep(sentence: list[str]) -> None:
        text = detokenise(sentence)
        if min_words <= len(text.split()) <= max_words:
            out.setdefault(text, None)

    tagged = 0
    for line in file_lines(read_text(path, None, "tagged text (word/TAG tokens)", encodings=LEGACY_TEXT)):
        sentence: list[str] = []
        split = [t.rpartition("/") for t in line.split()]
        pairs = [(word, tag) for word, slash, tag in split if slash and word]  # untagged tokens skipped
        tagged += len(pairs)
        for i, (word, tag) in enumerate(pairs):
            sentence.append(word)
            if tag == "." and i + 1 < len(pairs) and pairs[i + 1][0][:1].isupper():
                keep(sentence)
                sentence = []
        if sentence:  # the end of the line ends a sentence
            keep(sentence)
    if not tagged:
        raise TextDataError(f"{path}: no word/TAG token found; give a part-of-speech tagged text")
    return list(out)
