"""Starting vectors for a model's embedding layer: from a GloVe/word2vec file or from MiniLM's word pieces.

Both give ``(V, D)`` rows for the tokenizer's entries, NaN where there is no vector, centred and scaled to
unit variance like a freshly initialised layer; :func:`init_embedding` copies them in.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.files import check_input_file
from carrousel.core.option_names import option
from carrousel.core.paths import is_gzip, user_path
from carrousel.nlp.errors import TeacherError, TextDataError
from carrousel.nlp.tokenization import SPECIALS, TextTokenizer

__all__ = [
    "init_embedding",
    "piece_ids",
    "piece_means",
    "pieces_of",
    "pretrained_rows",
    "read_vectors",
    "teacher_vectors",
]

logger = logging.getLogger(__name__)


def pretrained_rows(tokenizer: TextTokenizer, path: str) -> np.ndarray:
    """``(V, D)`` vectors for the tokenizer's entries from a GloVe/word2vec file; NaN rows where none.

    Entries are matched without SentencePiece's ``▁`` mark, as they are, then lowercased.
    """
    vocab = tokenizer.vocabulary()
    keys = [entry.removeprefix("▁") for entry in vocab]
    wanted = {k for k in keys if k} | {k.lower() for k in keys if k}
    vectors = read_vectors(path, wanted)
    if not vectors:
        raise TextDataError(
            f"{option('embeddings', str(path))}: no vector matches the vocabulary; check the file's language or case"
        )
    dim = len(next(iter(vectors.values())))
    rows = np.full((len(vocab), dim), np.nan, dtype=np.float32)
    hits = 0
    for i, key in enumerate(keys):
        vec = vectors.get(key) if i >= 4 else None
        vec = vec if vec is not None else (vectors.get(key.lower()) if i >= 4 else None)
        if vec is not None:
            rows[i] = vec
            hits += 1
    logger.info("pretrained vectors for %d of %d vocabulary entries (%d-d)", hits, len(vocab), dim)
    found = rows[~np.isnan(rows[:, 0])]
    centred = rows - found.mean(axis=0)  # drop the common direction many embedding sets share
    return centred / max(float(centred[~np.isnan(rows[:, 0])].std()), 1e-8)  # unit scale, like a fresh layer


@check_args
def piece_ids(pieces: object, word: str, skip_unknown: bool = False) -> list[int]:
    """MiniLM's word-piece ids of one ``word`` (``pieces``: its HF ``tokenizers.Tokenizer``); with
    ``skip_unknown`` none where MiniLM spells it only with its own ``[UNK]`` piece."""
    return pieces_of(pieces, [word], skip_unknown)[0]


@check_args
def pieces_of(pieces: object, words: Sequence[str], skip_unknown: bool = False) -> list[list[int]]:
    """:func:`piece_ids` of each of ``words``, spelled in one batched call."""
    unknown = pieces.token_to_id("[UNK]") if skip_unknown else None  # type: ignore[attr-defined]
    found = pieces.encode_batch(list(words), add_special_tokens=False)  # type: ignore[attr-defined]
    return [[] if all(piece == unknown for piece in e.ids) else list(e.ids) for e in found]


@check_args
def piece_means(
    tokenizer: TextTokenizer, table: Tensor, pieces: object, skip_unknown: bool = False
) -> np.ndarray:
    """``(V, 384)``: each vocabulary entry's mean MiniLM word-piece embedding (``▁`` and ``##`` marks removed),
    NaN for the specials and entries without pieces.

    Args:
        tokenizer: the student's tokenizer.
        table: MiniLM's ``(30522, 384)`` word-piece embeddings.
        pieces: MiniLM's HF ``tokenizers.Tokenizer``.
        skip_unknown: an entry MiniLM spells only with its own ``[UNK]`` piece is NaN too (the OOV
            fallback's fit), rather than ``[UNK]``'s embedding (the starting vectors').
    """
    vocab = tokenizer.vocabulary()
    rows = np.full((len(vocab), table.shape[1]), np.nan, dtype=np.float32)
    words = [entry.removeprefix("▁").removeprefix("##") for entry in vocab]
    spelled = [i for i, word in enumerate(words) if i >= len(SPECIALS) and word.strip()]
    for i, ids in zip(spelled, pieces_of(pieces, [words[i] for i in spelled], skip_unknown), strict=True):
        if ids:
            rows[i] = table[ids].mean(dim=0).numpy()
    return rows


@check_args
def teacher_vectors(tokenizer: TextTokenizer, table: Tensor, pieces: object, dim: int) -> np.ndarray:
    """Starting vectors ``(V, dim)`` for a student's vocabulary from MiniLM's word-piece embeddings.

    Each entry's vector is the mean of its word pieces' input embeddings (``▁`` marks removed), the set
    is reduced to ``dim`` by PCA (or kept when ``dim >= 384``) and scaled to unit variance like a fresh
    layer; entries without pieces (the specials) are NaN. PCA gives at most as many components as entries
    with pieces, and MiniLM has 384 dimensions: the columns beyond those (a tiny vocabulary, or ``dim`` over
    384) are NaN too, so :func:`init_embedding` leaves them at the layer's random start.

    Args:
        tokenizer: the student's tokenizer.
        table: MiniLM's ``(30522, 384)`` word-piece embeddings.
        pieces: MiniLM's HF ``tokenizers.Tokenizer``.
        dim: the student's embedding size.
    """
    vocab = tokenizer.vocabulary()
    rows = piece_means(tokenizer, table, pieces)
    found = ~np.isnan(rows[:, 0])
    if not found.any():
        raise TeacherError("no vocabulary entry maps onto MiniLM word pieces")
    centred = rows[found] - rows[found].mean(axis=0)
    if dim < centred.shape[1]:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        centred = centred @ vt[:dim].T
    width = centred.shape[1]  # min(dim, 384, entries with pieces)
    out = np.full((len(vocab), dim), np.nan, dtype=np.float32)
    out[np.ix_(found, np.arange(width))] = centred / max(float(centred.std()), 1e-8)
    logger.info(
        "MiniLM vectors for %d of %d vocabulary entries (%d of %d dimensions; the rest start random)",
        int(found.sum()),
        len(vocab),
        width,
        dim,
    )
    return out


@check_args
def init_embedding(embedding: nn.Embedding, vectors: np.ndarray, freeze: bool) -> None:
    """Copies the non-NaN entries of ``vectors`` (``(V, D)``, the layer's shape) into ``embedding`` (the rest
    keep their random start; row 0, the padding, is zero) and freezes the layer when asked."""
    with torch.no_grad():
        found = torch.from_numpy(vectors)
        cells = ~torch.isnan(found)
        embedding.weight[cells] = found[cells]
        embedding.weight[0].zero_()
    embedding.weight.requires_grad_(not freeze)


def read_vectors(path: str | Path, wanted: set[str]) -> dict[str, np.ndarray]:
    """Word vectors for the words in ``wanted`` from a GloVe or word2vec text file (gzip allowed).

    Each line is a word and its numbers, separated by spaces; a first line of two integers (word2vec's
    header) is skipped. The file is streamed, so only the wanted vectors are kept in memory.

    Raises:
        TextDataError: the file is missing or holds lines of different dimensions or non-numbers.
    """
    p = check_input_file(user_path(path), option("embeddings"), "word-vector")
    opener = gzip.open if is_gzip(p) else open
    found: dict[str, np.ndarray] = {}
    dim = 0
    with opener(p, "rt", encoding="utf-8", errors="replace") as fh:  # type: ignore[operator]
        for number, line in enumerate(fh, 1):
            parts = line.rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(x.isdigit() for x in parts):
                continue
            if len(parts) < 2:
                continue
            if not dim:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise TextDataError(
                    f"{option('embeddings', str(p))}: line {number} has {len(parts) - 1} numbers, earlier lines {dim}; "
                    "give a GloVe or word2vec text file"
                )
            if parts[0] in wanted and parts[0] not in found:
                try:
                    vec = np.asarray(parts[1:], dtype=np.float64)
                except ValueError:
                    vec = np.full(1, np.nan)
                if not (np.abs(vec) <= np.finfo(np.float32).max).all():  # NaN/inf would spread to every row
                    raise TextDataError(f"{option('embeddings', str(p))}: line {number} holds a non-number (or nan, inf, or a "
                                        "number over float32's range); check the format")  # fmt: skip
                found[parts[0]] = vec.astype(np.float32)
    if not dim:
        raise TextDataError(
            f"{option('embeddings', str(p))} holds no vectors; give a GloVe or word2vec text file"
        )
    return found
