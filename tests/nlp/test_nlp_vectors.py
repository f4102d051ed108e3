"""Pretrained word vectors (``--embeddings FILE``): the file's vectors land in the embedding rows of the
words they belong to, the file sets the embedding size, and ``--freeze-embeddings`` keeps them through
training. MiniLM's starting vectors (``--teacher minilm``) fill the layer's size whatever the vocabulary's."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.tokenization import train_tokenizer
from carrousel.nlp.vectors import init_embedding, pretrained_rows, teacher_vectors

_DIM = 6
_WORDS = ["good", "great", "bad", "dull", "film", "movie", "the", "not"]


def _vector_file(path: Path, words: list[str], seed: int = 0) -> dict[str, np.ndarray]:
    """A GloVe-style text file with a vector per word (plus words no vocabulary has); returns them."""
    rng = np.random.default_rng(seed)
    vectors = {w: rng.normal(size=_DIM).astype(np.float32) for w in [*words, "zebra", "quantum"]}
    path.write_text(
        "".join(f"{w} {' '.join(f'{x:.6f}' for x in v)}\n" for w, v in vectors.items()), encoding="utf-8"
    )
    return {w: np.asarray([float(f"{x:.6f}") for x in v], dtype=np.float32) for w, v in vectors.items()}


def test_pretrained_rows_are_the_files_vectors_of_known_tokens(tmp_path: Path, synthetic: Any) -> None:
    texts = [t for t, _ in synthetic(200)]
    tok = train_tokenizer(texts, TokenizerConfig(kind="word", vocab_size=100, min_frequency=1))
    vocab = [entry.removeprefix("▁") for entry in tok.vocabulary()]  # word level: ``▁good``
    file_vectors = _vector_file(tmp_path / "glove.txt", _WORDS)
    rows = pretrained_rows(tok, str(tmp_path / "glove.txt"))
    assert rows.shape == (len(vocab), _DIM)
    known = [i for i, entry in enumerate(vocab) if entry in file_vectors]
    assert sorted(vocab[i] for i in known) == sorted(_WORDS)  # every file word the vocabulary has
    assert np.isnan(rows[[i for i in range(len(vocab)) if i not in known]]).all()  # the rest: none
    # the file's vectors, centred on their mean and scaled to unit variance like a fresh layer
    raw = np.stack([file_vectors[vocab[i]] for i in known])
    expected = (raw - raw.mean(axis=0)) / (raw - raw.mean(axis=0)).std()
    np.testing.assert_allclose(rows[known], expected, rtol=1e-5, atol=1e-6)

    layer = nn.Embedding(len(vocab), _DIM, padding_idx=0)
    before = layer.weight.detach().clone()
    init_embedding(layer, rows, freeze=True)
    np.testing.assert_allclose(layer.weight[known].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    others = [i for i in range(1, len(vocab)) if i not in known]
    assert torch.equal(layer.weight[others], before[others])  # words without a vector keep their start
    assert not layer.weight[0].any() and not layer.weight.requires_grad

    (tmp_path / "other.txt").write_text("zebra 1 2 3\nquantum 4 5 6\n")
    with pytest.raises(TextDataError, match="no vector matches the vocabulary"):
        pretrained_rows(tok, str(tmp_path / "other.txt"))
    # one NaN or overflowing value made every row NaN once centred: the file was then ignored in silence
    word = next(k for k in (e.removeprefix("▁") for e in vocab[4:]) if k)
    for bad in ("nan", "inf", "1e39"):
        (tmp_path / "bad.txt").write_text(f"{word} 0.1 {bad} 0.3\n")
        with pytest.raises(TextDataError, match="line 1 holds a non-number"):
            pretrained_rows(tok, str(tmp_path / "bad.txt"))


def _train(tmp_path: Path, data: Path, vectors: Path, name: str, *extra: str) -> SentimentModel:
    out = tmp_path / name
    args = ["sentiment", "train", "--data", str(data), "-o", str(out), "--tokenizer", "word"]
    args += ["--embeddings", str(vectors), "--embed-dim", "16", "--hidden-size", "8", "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "--lr", "0.05", "--threads", "1", "--json", "-q", *extra])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["epochs"] == 1
    return SentimentModel.from_pretrained(out)


def test_embeddings_file_sets_the_size_and_freeze_keeps_the_vectors(
    tmp_path: Path, synthetic_csv: Path
) -> None:
    file_vectors = _vector_file(tmp_path / "glove.txt", _WORDS)
    frozen = _train(tmp_path, synthetic_csv, tmp_path / "glove.txt", "frozen", "--freeze-embeddings")
    weight = frozen.model.embedding.weight.detach().numpy()
    assert weight.shape[1] == _DIM  # from the file, not --embed-dim 16
    rows = pretrained_rows(frozen.tokenizer, str(tmp_path / "glove.txt"))
    known = ~np.isnan(rows[:, 0])
    words = {frozen.tokenizer.id_to_token(int(i)).removeprefix("▁") for i in np.flatnonzero(known)}
    assert words == set(_WORDS) and set(file_vectors) > words
    np.testing.assert_array_equal(weight[known], rows[known])  # unchanged by the epoch of training
    assert frozen.bundle.data["embeddings"] == {"file": str(tmp_path / "glove.txt"), "frozen": True}

    trained = _train(tmp_path, synthetic_csv, tmp_path / "glove.txt", "tuned")
    moved = np.abs(trained.model.embedding.weight.detach().numpy()[known] - rows[known]).max()
    assert moved > 1e-3  # without --freeze-embeddings the same epoch does move them


class _Pieces:
    """A stand-in for MiniLM's WordPiece tokenizer: each word is one piece, numbered in order of arrival."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"[UNK]": 0}

    def token_to_id(self, piece: str) -> int:
        return self.ids[piece]

    def encode_batch(self, words: list[str], add_special_tokens: bool = False) -> list[SimpleNamespace]:
        return [SimpleNamespace(ids=[self.ids.setdefault(w, len(self.ids))]) for w in words]


@pytest.mark.parametrize("dim", [128, 400])
def test_teacher_vectors_fill_the_layer_when_pca_has_fewer_components(synthetic: Any, dim: int) -> None:
    """A vocabulary smaller than ``dim`` (PCA gives at most one component per word), or ``dim`` over MiniLM's
    384: the vectors are ``(V, dim)``, MiniLM's components first and NaN beyond, and the layer keeps its
    random start there (before: a ``(V, V)`` or ``(V, 384)`` array, an internal shape error in the copy)."""
    tok = train_tokenizer([t for t, _ in synthetic(40)], TokenizerConfig(kind="word", min_frequency=1))
    table = torch.from_numpy(np.random.default_rng(0).normal(size=(64, 384)).astype(np.float32))
    vectors = teacher_vectors(tok, table, _Pieces(), dim)
    found = ~np.isnan(vectors[:, 0])
    width = 384 if dim >= 384 else min(int(found.sum()), dim)  # MiniLM's size is kept whole, not rotated
    assert vectors.shape == (tok.vocab_size, dim) and width < dim
    assert np.isfinite(vectors[found, :width]).all() and np.isnan(vectors[:, width:]).all()
    assert vectors[found, :width].std() == pytest.approx(1.0, abs=1e-4)  # unit scale, like a fresh layer
    layer = nn.Embedding(tok.vocab_size, dim, padding_idx=0)
    before = layer.weight.detach().clone()
    init_embedding(layer, vectors, freeze=False)
    np.testing.assert_array_equal(layer.weight[found, :width].detach().numpy(), vectors[found, :width])
    assert torch.equal(layer.weight[1:, width:], before[1:, width:])  # the rest: the random start
    assert torch.equal(layer.weight[~torch.from_numpy(found)][1:], before[~torch.from_numpy(found)][1:])
