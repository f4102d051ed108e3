"""Sentiment pipelines: ``train_sentiment``, :class:`SentimentModel` (predict) and ``evaluate_sentiment``.

Every file a run makes is written here (the bundle, ``metrics.json``, the PNG charts), so Python callers
get the same outputs as the CLI.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.data import pad_sequences
from carrousel.core.io import atomic_dir
from carrousel.core.metrics import Average, accuracy, f1, precision, recall, roc_auc
from carrousel.core.train import TrainConfig, Trainer, predict
from carrousel.nlp import plots
from carrousel.nlp.config import (
    SentimentEvaluateConfig,
    SentimentTrainConfig,
    TextDataConfig,
)
from carrousel.nlp.data import (
    CHARS_PER_TOKEN_CAP,
    TextClassDataset,
    check_texts,
    encode_texts,
    label_order,
    load_texts,
    make_loader,
    read_vectors,
    stratified_split,
)
from carrousel.nlp.errors import LabelMismatchError, TextDataError
from carrousel.nlp.models import SentimentClassifier, build_classifier
from carrousel.nlp.task import SentimentTask
from carrousel.nlp.tokenization import TextTokenizer, train_tokenizer

__all__ = [
    "KIND",
    "SentimentEvaluation",
    "SentimentModel",
    "SentimentPrediction",
    "SentimentTrainResult",
    "evaluate_sentiment",
    "train_sentiment",
]

logger = logging.getLogger(__name__)

KIND = "nlp.sentiment"
TOKENIZER_FILE = "tokenizer.json"


def _same(text: str) -> str:
    return " ".join(text.split()).lower()


def train_config(fit: Any, monitor: str = "val_loss", **extra: Any) -> TrainConfig:
    """Core's TrainConfig from a :class:`~carrousel.nlp.config.FitConfig`."""
    if fit.threads:
        torch.set_num_threads(fit.threads)
    if fit.lr_decay > 0:  # ReduceLROnPlateau after one epoch without improvement (core: step_size // 5)
        extra = {"scheduler": "plateau", "gamma": fit.lr_decay, "step_size": 5, **extra}
    return TrainConfig(
        epochs=fit.epochs,
        lr=fit.lr,
        weight_decay=fit.weight_decay,
        patience=fit.patience,
        monitor=monitor,
        seed=fit.seed,
        device=fit.device,
        progress=fit.progress,
        **extra,
    )


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
            f"--embeddings {path}: no vector matches the vocabulary; check the file's language or case"
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


@dataclass
class SentimentTrainResult:
    """What ``nlp sentiment train`` reports."""

    out: Path  # the bundle folder
    labels: list[str]  # the classes, in the model's order
    train_rows: int  # texts trained on
    val_rows: int  # texts held out for early stopping
    vocab_size: int  # tokenizer entries
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    val_loss: float  # held-out loss of the kept weights
    val_accuracy: float  # held-out accuracy
    val_f1: float  # held-out F1 (binary for two classes, else macro)
    majority_accuracy: float  # accuracy of always answering the most frequent training class
    seconds: float  # wall time


def train_sentiment(cfg: SentimentTrainConfig, out: str | Path) -> SentimentTrainResult:
    """Trains a sentiment classifier and saves it as a bundle in ``out``.

    Raises:
        TextDataError: unreadable data, fewer than two classes, a class with one row.
        ColumnNotFoundError, EmptyTextError: see :func:`carrousel.nlp.data.load_texts`.
    """
    start = time.perf_counter()
    data = load_texts(cfg.data)
    texts, raw_labels = data.texts, data.labels
    if cfg.exclude:
        banned = {_same(t) for t in load_texts(TextDataConfig(cfg.exclude)).texts}
        keep = [i for i, t in enumerate(texts) if _same(t) not in banned]
        logger.info("excluded %d texts found in %s", len(texts) - len(keep), cfg.exclude)
        texts, raw_labels = [texts[i] for i in keep], [raw_labels[i] for i in keep]
    labels = label_order(raw_labels)
    if len(labels) < 2:
        raise TextDataError(
            f"--data {cfg.data.source}: every row has label {labels[0]!r}; need two classes or more"
        )
    index = {name: i for i, name in enumerate(labels)}
    y = np.asarray([index[label] for label in raw_labels])
    fit = cfg.fit
    train_idx, val_idx = stratified_split(raw_labels, fit.val_fraction, fit.seed)
    torch.manual_seed(fit.seed)
    tokenizer = train_tokenizer((texts[i] for i in train_idx), cfg.tokenizer)
    ids = encode_texts(tokenizer, texts, cfg.data.max_length)
    train_set = TextClassDataset([ids[i] for i in train_idx], y[train_idx].tolist())
    val_set = TextClassDataset([ids[i] for i in val_idx], y[val_idx].tolist())
    net, vectors = cfg.model, None
    if cfg.embeddings:
        vectors = pretrained_rows(tokenizer, cfg.embeddings)
        net = replace(net, embed_dim=vectors.shape[1])
    model = build_classifier(net, tokenizer.vocab_size, len(labels))
    if vectors is not None:
        with torch.no_grad():  # rows without a vector keep their random N(0, 1) start
            found = torch.from_numpy(vectors)
            rows = ~torch.isnan(found[:, 0])
            model.embedding.weight[rows] = found[rows]
            model.embedding.weight[0].zero_()
        model.embedding.weight.requires_grad_(not cfg.freeze_embeddings)
    task = SentimentTask(len(labels))
    trainer = Trainer(model, task, train_config(fit))
    result = trainer.fit(
        make_loader(train_set, fit.batch_size, True, fit.seed), make_loader(val_set, 256, False)
    )
    final = trainer.evaluate(make_loader(val_set, 256, False))
    counts = np.bincount(y[train_idx], minlength=len(labels))
    bundle = Bundle(
        kind=KIND,
        model=model,
        assets={"labels": labels, "tokenizer_kind": tokenizer.kind, "max_length": cfg.data.max_length},
        files={TOKENIZER_FILE: tokenizer.to_bytes()},
        data={
            "source": data.source,
            "text_col": cfg.data.text_col,
            "label_col": cfg.data.label_col,
            "rows": len(texts),
            "train_rows": len(train_idx),
            "val_rows": len(val_idx),
            "seed": fit.seed,
            "class_counts": {name: int(c) for name, c in zip(labels, counts, strict=True)},
        },
    )
    bundle.save(out)
    return SentimentTrainResult(
        out=Path(out),
        labels=labels,
        train_rows=len(train_idx),
        val_rows=len(val_idx),
        vocab_size=tokenizer.vocab_size,
        epochs=len(result.history),
        best_epoch=result.best_epoch,
        val_loss=final["loss"],
        val_accuracy=final["accuracy"],
        val_f1=final["f1"],
        majority_accuracy=float(np.mean(y[val_idx] == counts.argmax())),
        seconds=time.perf_counter() - start,
    )


@dataclass
class SentimentPrediction:
    """One text's prediction."""

    text: str  # the input
    label: str  # the most probable class
    probabilities: dict[str, float]  # every class's probability
    tokens: list[str] = field(default_factory=list)  # the text of each token the model saw
    attention: list[float] | None = None  # per-token attention weights (sum to 1), attention pooling only
    truncated: bool = False  # the text was longer than the model's max_length


class SentimentModel:
    """A trained sentiment classifier with its tokenizer and labels, loaded from a bundle.

    Example:
        >>> model = SentimentModel.from_pretrained("model/")  # doctest: +SKIP
        >>> model(["a gorgeous, moving film"])[0].label  # doctest: +SKIP
    """

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.model: SentimentClassifier = bundle.model  # type: ignore[assignment]
        self.labels: list[str] = list(bundle.assets["labels"])
        self.max_length = int(bundle.assets["max_length"])
        self.tokenizer = TextTokenizer.from_bytes(
            bundle.files[TOKENIZER_FILE], str(bundle.assets["tokenizer_kind"])
        )

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> SentimentModel:
        """Loads a bundle written by :func:`train_sentiment` (checksums, kind and shapes checked)."""
        return cls(load_bundle(path, kind=KIND, map_location=device))

    def _encode(self, texts: Sequence[str], max_length: int | None) -> tuple[list[np.ndarray], list[bool]]:
        check_texts(texts, "input")
        limit = max_length or self.max_length
        full = encode_texts(self.tokenizer, texts, limit + 1)  # one extra id tells whether it was cut
        return [ids[:limit] for ids in full], [len(ids) > limit for ids in full]

    def _run(self, ids: list[np.ndarray], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities ``(N, C)`` and attention ``(N, T_max)``, in input order (batched by length)."""
        n, c = len(ids), len(self.labels)
        t_max = max(len(x) for x in ids)
        order = np.argsort([len(x) for x in ids], kind="stable")
        items = np.empty(n, dtype=object)
        items[:] = [ids[i] for i in order]

        def prepare(chunk: np.ndarray | torch.Tensor) -> torch.Tensor:
            padded, lengths = pad_sequences([torch.from_numpy(x) for x in chunk], 0)
            return torch.cat([lengths.unsqueeze(1), padded], dim=1)  # (B, 1 + T): lengths, then ids

        def forward(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
            out = self.model.forward_with_weights(x[:, 1:], x[:, 0])
            probs = torch.softmax(out.logits.float(), dim=-1)
            weights = out.weights if out.weights is not None else probs.new_zeros(x.shape[0], x.shape[1] - 1)
            weights = torch.nn.functional.pad(weights.float(), (0, t_max - weights.shape[1]))
            return torch.cat([probs, weights], dim=1)

        raw = predict(
            self.model, items, batch_size, forward=forward, prepare=prepare, empty_shape=(c + t_max,)
        )
        result = np.empty_like(raw)
        result[order] = raw
        return result[:, :c], result[:, c:]

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Class probabilities ``(N, C)`` in the order of :attr:`labels`."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self._run(self._encode(texts, None)[0], batch_size)[0]

    def __call__(
        self, texts: Sequence[str], batch_size: int = 64, max_length: int | None = None
    ) -> list[SentimentPrediction]:
        """Predicts every text, with its tokens and attention weights.

        Raises:
            EmptyTextError: a text is empty or only whitespace.
        """
        if not texts:
            return []
        ids, cut = self._encode(texts, max_length)
        if any(cut):
            logger.warning(
                "%d texts are longer than %d tokens and were truncated",
                sum(cut),
                max_length or self.max_length,
            )
        probs, weights = self._run(ids, batch_size)
        attention = self.model.attention is not None
        out = []
        for i, text in enumerate(texts):
            k = len(ids[i])
            cap = ((max_length or self.max_length) + 1) * CHARS_PER_TOKEN_CAP  # as in encode_texts
            pieces = [p.strip() or p for p in self.tokenizer.pieces(text[:cap])][:k]
            out.append(
                SentimentPrediction(
                    text=text,
                    label=self.labels[int(probs[i].argmax())],
                    probabilities={name: float(p) for name, p in zip(self.labels, probs[i], strict=True)},
                    tokens=pieces,
                    attention=[float(w) for w in weights[i, :k]] if attention else None,
                    truncated=cut[i],
                )
            )
        return out


@dataclass
class SentimentEvaluation:
    """What ``nlp sentiment evaluate`` reports."""

    rows: int  # texts evaluated
    labels: list[str]  # the model's classes
    accuracy: float  # fraction correct
    precision: float  # binary (positive = the second label) or macro
    recall: float  # binary or macro
    f1: float  # binary or macro
    roc_auc: float | None  # binary, or one-vs-rest macro; None when a class is absent from the data
    majority_accuracy: float  # accuracy of always answering the data's most frequent class
    confusion: list[list[int]]  # rows: true label, columns: predicted, in the order of ``labels``
    average: str  # "binary" or "macro"
    files: list[Path] = field(default_factory=list)  # files written (metrics.json, PNGs)


def evaluate_sentiment(cfg: SentimentEvaluateConfig, out: str | Path | None = None) -> SentimentEvaluation:
    """Scores a trained model on labelled texts; with ``out``, writes metrics.json and two PNG charts.

    Raises:
        LabelMismatchError: the data holds labels the model does not know.
    """
    model = SentimentModel.from_pretrained(cfg.model, cfg.device)
    data = load_texts(cfg.data)
    unknown = sorted(set(data.labels) - set(model.labels))
    if unknown:
        raise LabelMismatchError(
            f"--data {cfg.data.source} has labels {', '.join(map(repr, unknown[:5]))} the model does not know; "
            f"it was trained on {', '.join(map(repr, model.labels))} (check --label-col or relabel the data)"
        )
    index = {name: i for i, name in enumerate(model.labels)}
    y = torch.tensor([index[label] for label in data.labels])
    probs = torch.from_numpy(model.predict_proba(data.texts, cfg.batch_size)).float()
    c = len(model.labels)
    average: Average = "binary" if c == 2 else "macro"
    pred = probs.argmax(dim=1)
    confusion = torch.zeros(c, c, dtype=torch.long)
    confusion.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    auc = None
    if len(set(y.tolist())) == c:
        auc = roc_auc(probs[:, 1] if c == 2 else probs, y)
    result = SentimentEvaluation(
        rows=len(y),
        labels=model.labels,
        accuracy=accuracy(pred, y),
        precision=precision(pred, y, average),
        recall=recall(pred, y, average),
        f1=f1(pred, y, average),
        roc_auc=auc,
        majority_accuracy=float(torch.bincount(y, minlength=c).max()) / len(y),
        confusion=confusion.tolist(),
        average=average,
    )
    if out is not None:
        result.files = _write_evaluation(result, model, data.texts, cfg.example, Path(out))
    return result


def _write_evaluation(
    result: SentimentEvaluation, model: SentimentModel, texts: list[str], example: int, out: Path
) -> list[Path]:
    names = ["metrics.json", "confusion.png"]
    pred = model([texts[min(example, len(texts) - 1)]])[0]
    with atomic_dir(out) as tmp:
        doc = {k: v for k, v in asdict(result).items() if k != "files"}
        (tmp / "metrics.json").write_text(json.dumps(doc, indent=2, allow_nan=False), encoding="utf-8")
        plots.confusion_png(result.confusion, result.labels, tmp / "confusion.png")
        if pred.attention is not None:
            title = f"{pred.label} ({pred.probabilities[pred.label]:.2f}): attention over text {example + 1}"
            plots.attention_png(pred.tokens, pred.attention, title, tmp / "attention.png")
            names.append("attention.png")
    return [out / name for name in names]
