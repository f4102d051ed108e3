"""``nlp sentiment evaluate``: a trained model scored on labelled texts (accuracy, precision, recall, F1,
macro F1, ROC AUC, the confusion matrix, and how well its probabilities are calibrated: log loss, Brier score, ECE),
with ``metrics.json`` and the PNG charts written here, as the CLI does."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from carrousel.core.atomic import atomic_dir
from carrousel.core.files import check_output_dir
from carrousel.core.metrics import (
    Average,
    accuracy,
    brier_score,
    expected_calibration_error,
    f1,
    log_loss,
    precision,
    recall,
    roc_auc,
)
from carrousel.core.option_names import named_path, naming_flags, option
from carrousel.core.paths import user_path
from carrousel.core.plots import can_draw
from carrousel.core.text import counted, name_some
from carrousel.nlp import plots
from carrousel.nlp.config import SentimentEvaluateConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.decision import decide
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.evaluate_plot import PLOT_EXTRA
from carrousel.nlp.label_map import parse_label_map, resolve_labels
from carrousel.nlp.label_scales import drops
from carrousel.nlp.pipeline.sentiment import SentimentModel

__all__ = ["SentimentEvaluation", "evaluate_sentiment"]

logger = logging.getLogger(__name__)

_METRICS = "metrics.json"  # every evaluation folder holds it: the mark of an earlier output


@dataclass
class SentimentEvaluation:
    """What ``nlp sentiment evaluate`` reports."""

    rows: int  # texts evaluated
    labels: list[str]  # the model's classes
    accuracy: float  # fraction correct
    # binary (positive = the second label) or macro; None (binary): nothing predicted positive
    precision: float | None
    recall: float | None  # binary or macro; None (binary): the data holds no positive row
    f1: float | None  # binary or macro; None as recall (nothing predicted positive: 0, the count formula)
    roc_auc: float | None  # binary, or one-vs-rest macro; None when a class is absent from the data
    majority_accuracy: float  # accuracy of always answering the data's most frequent class
    confusion: list[list[int]]  # rows: true label, columns: predicted, in the order of ``labels``
    average: str  # "binary" or "macro"
    trained_precision: str | None = "fp32"  # the model's training arithmetic (its bundle's record)
    inference_precision: str = "fp32"  # this run's ("precision" is the metric): SentimentModel.precisions
    files: list[Path] = field(default_factory=list)  # files written (metrics.json, PNGs)
    # data label -> model label used, None (JSON null) for a label whose rows were dropped, so a model label
    # that is literally "-" is told apart; None as a whole: the model's own labels
    label_map: dict[str, str | None] | None = None
    label_rule: str | None = None  # how: "--label-map", "words", a scale ("1..5 stars"); None: as they were
    # the same reading as a --label-map value, ranges where it read a range ("1..2=negative,3=-,4..5=positive";
    # a model label that is literally "-" quoted); None: the model's own labels
    label_map_text: str | None = None
    dropped: int = 0  # rows left out by the label reading (neutral for a two-class model, a map's "-")
    # calibration of the probabilities (lower is better): mean negative log-likelihood of the true class,
    # Brier score (sum over classes of the squared error, mean over rows), expected calibration error of the
    # predicted class (15 equal bins; the class the model's cut gives, as accuracy counts it, not the argmax:
    # before 2026-12-07 the argmax's); None only for an evaluation made before they were reported
    log_loss: float | None = None
    brier: float | None = None
    ece: float | None = None
    # F1 averaged over the classes with equal weight (scikit-learn's average="macro"): beside a binary F1,
    # which is the second label's alone and stays high on a set that label fills 99:1 whatever the model does
    # on the other class; for more classes the same as ``f1``. None only for an evaluation made before it
    macro_f1: float | None = None
    # the model's classes without a row in the data: their recall is undefined, so every macro figure
    # (precision, recall, F1 of a 3-class model; macro_f1) averages the classes present (scikit-learn's
    # labels=<present>; its default counted such a class's recall as 0 once predicted), said in a warning
    classes_absent: list[str] = field(default_factory=list)


def evaluate_sentiment(cfg: SentimentEvaluateConfig, out: str | Path | None = None) -> SentimentEvaluation:
    """Scores a trained model on labelled texts; with ``out``, writes metrics.json and two PNG charts (the
    charts are left out, with a warning before any work, when matplotlib is not installed).

    Raises:
        LabelMismatchError: the data holds labels the model does not know (and that no map reads).
        LabelMapError: ``cfg.label_map`` names a label the model lacks or leaves a data label unmapped.
        ConfigError: ``out`` holds files but no metrics.json (not an earlier evaluation), checked first.
    """
    out = user_path(out) if out is not None else None  # a Python caller's "~/eval"
    charts = False
    if out is not None:  # before any work: a folder of other files is refused, never replaced
        check_output_dir(out, option("out"), marker=_METRICS)
        left_out = f"{named_path(out, option('out'))} gets metrics.json without its charts"
        # said now, not after the texts are scored
        charts = can_draw(PLOT_EXTRA, f"{left_out} (confusion.png, attention.png)")
    model = SentimentModel.from_pretrained(cfg.model, cfg.device, cfg.precision, cfg.unk)
    data = load_texts(cfg.data)
    first = 1 if naming_flags() else 0  # the CLI counts rows from 1, the config from 0
    if out is not None and cfg.example >= (n := len(data.texts)):  # attention.png would be of another text
        raise TextDataError(
            f"{option('example', cfg.example + first)}: {option('data.source', cfg.data.source, '--data')} holds"
            f" {n} texts; give {first} to {n - 1 + first}"
        )
    given = parse_label_map(cfg.label_map) if cfg.label_map is not None else None
    reading = resolve_labels(data.labels, model.labels, cfg.data.source, given)
    kept = reading.kept()  # metrics on these rows only
    index = {name: i for i, name in enumerate(model.labels)}
    y = torch.tensor([index[label] for label in reading.labels if label is not None])
    texts = data.texts if not reading.dropped else [data.texts[i] for i in kept]
    rows = kept if reading.dropped else None  # the warnings name a text by its row in the data
    probs = torch.from_numpy(model.predict_proba(texts, cfg.batch_size, long=cfg.long, numbers=rows)).float()
    c, arithmetic = len(model.labels), model.precisions()
    average: Average = "binary" if c == 2 else "macro"
    pred = torch.from_numpy(decide(probs.numpy(), model.threshold))
    confusion = torch.zeros(c, c, dtype=torch.long)
    confusion.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    # binary scores of the positive class are undefined (not 0) without a positive row, or prediction;
    # core's metrics count a zero division as 0 (scikit-learn's default), so it is said here, as for ROC-AUC
    has_true, has_pred = (
        average == "macro" or bool((y == 1).any()),
        average == "macro" or bool((pred == 1).any()),
    )
    absent = [model.labels[k] for k in range(c) if not bool((y == k).any())]
    if absent:
        logger.warning(
            "%s holds no row of class %s: macro figures are over the %s present; %s recall is undefined",
            cfg.data.source, name_some(absent, quote=True), counted(c - len(absent), "class", "classes"),
            "its" if len(absent) == 1 else "their",
        )  # fmt: skip
    # macro over the classes with a row (scikit-learn's labels=<those>): core's target_classes
    macro = [fn(pred, y, "macro", target_classes=True) for fn in (precision, recall, f1)]
    auc = None
    if len(set(y.tolist())) == c:
        auc = roc_auc(probs[:, 1] if c == 2 else probs, y)
    result = SentimentEvaluation(
        rows=len(y),
        labels=model.labels,
        accuracy=accuracy(pred, y),
        precision=(precision(pred, y, average) if average == "binary" else macro[0]) if has_pred else None,
        recall=(recall(pred, y, average) if average == "binary" else macro[1]) if has_true else None,
        f1=(f1(pred, y, average) if average == "binary" else macro[2]) if has_true else None,
        roc_auc=auc,
        majority_accuracy=float(torch.bincount(y, minlength=c).max()) / len(y),
        confusion=confusion.tolist(),
        average=average,
        trained_precision=arithmetic["trained_precision"],
        inference_precision=str(arithmetic["precision"]),
        label_map=_as_recorded(reading.mapping),
        label_rule=reading.rule,
        label_map_text=reading.written,
        dropped=reading.dropped,
        log_loss=log_loss(probs, y),
        brier=brier_score(probs, y),
        ece=expected_calibration_error(probs, y, predicted=pred),  # of the labels accuracy counts (the cut)
        macro_f1=macro[2],
        classes_absent=absent,
    )
    if out is not None:
        name = cfg.data.source if len(cfg.data.source) <= 40 else Path(cfg.data.source).name
        gone = Counter(x for x, kept_as in zip(data.labels, reading.labels, strict=True) if kept_as is None)
        result.files = _write_evaluation(
            result, model, data.texts, cfg, Path(out), name, charts, dict(sorted(gone.items()))
        )
    return result


def _as_recorded(mapping: dict[str, str] | None) -> dict[str, str | None] | None:
    """The reading's map as the result records it: a dropped label's target (the map's bare ``-``) as None,
    which JSON writes as null, apart from a model label that is literally ``-`` (before: both ``"-"``)."""
    if mapping is None:
        return None
    return {str(k): None if drops(v) else str(v) for k, v in mapping.items()}


def _write_evaluation(
    result: SentimentEvaluation,
    model: SentimentModel,
    texts: list[str],
    cfg: SentimentEvaluateConfig,
    out: Path,
    data: str,
    charts: bool = True,
    dropped: dict[str, int] | None = None,
) -> list[Path]:
    names = [_METRICS] + (["confusion.png"] if charts else [])
    with atomic_dir(out) as tmp:
        doc = {k: v for k, v in asdict(result).items() if k != "files"}
        (tmp / _METRICS).write_text(json.dumps(doc, indent=2, allow_nan=False), encoding="utf-8")
        if charts:
            text = texts[cfg.example]
            _write_charts(result, model, text, cfg.example, tmp, data, names, dropped, cfg.long)
    return [out / name for name in names]


def _write_charts(
    result: SentimentEvaluation,
    model: SentimentModel,
    text: str,
    example: int,
    tmp: Path,
    data: str,
    names: list[str],
    dropped: dict[str, int] | None = None,
    long: str = "whole",
) -> None:
    """confusion.png (its title naming the rows dropped, per data label) and (when the model pools by
    attention) attention.png of text ``example``, read as ``long`` says: a text read by sentence shows its most
    decided sentence's attention (its title says so)."""
    plots.confusion_png(result.confusion, result.labels, tmp / "confusion.png", data, dropped=dropped)
    pred = model([text], long=long)[0]
    if pred.attention is not None:
        p = pred.probabilities[pred.label]
        over = f"text {example + 1}"
        if pred.read == "sentences":
            over = f"the most decided of the {pred.sentences} sentences of text {example + 1}"
        title = f"attention over {over} of {data}, predicted {pred.label} (p={p:.2f})"
        plots.attention_png(pred.tokens, pred.attention, title, tmp / "attention.png")
        names.append("attention.png")
