"""The sentiment model that predicts: :class:`SentimentModel`, a bundle written by
:func:`carrousel.nlp.pipeline.sentiment.train_sentiment` loaded with its tokenizer, labels and decision cut."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle, load_bundle, model_repr
from carrousel.core.device import check_inference
from carrousel.core.export.deploy import load_runtime
from carrousel.core.provenance import PrecisionReport, bundle_precision_report, upgrade_hint
from carrousel.core.train import predict
from carrousel.nlp.data import CHARS_PER_TOKEN_CAP, read_as, warn_truncated
from carrousel.nlp.decision import decide
from carrousel.nlp.long_texts import DEFAULT_READING, SentenceReading, check_reading
from carrousel.nlp.models import SentimentClassifier, run_without
from carrousel.nlp.oov import OovFallback
from carrousel.nlp.pipeline import common
from carrousel.nlp.pipeline.common import lengths_and_ids
from carrousel.nlp.pipeline.sentiment_reading import (
    Encoded,
    bundle_tokenizer,
    encode_for_model,
    read_order,
    unk_reading,
)
from carrousel.nlp.pipeline.sentiment_types import SentimentPrediction
from carrousel.nlp.text_checks import check_texts, warn_unread

__all__ = ["KIND", "SentimentModel", "shipped_model_path"]

KIND = "nlp.sentiment"


def shipped_model_path() -> Path:
    """Folder of the English sentiment BiLSTM shipped inside the package (``make sentiment-model``)."""
    return Path(str(resources.files("carrousel.nlp") / "shipped" / "sentiment"))


class SentimentModel:
    """A trained sentiment classifier with its tokenizer and labels, loaded from a bundle.

    Example:
        >>> model = SentimentModel.from_pretrained("model/")  # doctest: +SKIP
        >>> model(["a gorgeous, moving film"])[0].label  # doctest: +SKIP
    """

    def __init__(self, bundle: Bundle, precision: str = "fp32", unk: str | None = None) -> None:
        self.unk = unk_reading(bundle.assets, unk, upgrade_hint(bundle))  # see from_pretrained
        self.bundle = bundle
        self.model: SentimentClassifier = bundle.model  # type: ignore[assignment]
        self.labels: list[str] = list(bundle.assets["labels"])
        self.max_length = int(bundle.assets["max_length"])
        cut = bundle.assets.get("threshold")  # two classes: P(second label) >= cut is that label
        self.threshold = float(cut) if cut is not None else None
        self.tokenizer = bundle_tokenizer(bundle)  # the recorded emoji reading and folding (absent: none)
        self.runtime = load_runtime(bundle)  # an exported bundle (nlp sentiment export) runs ONNX Runtime
        check_inference(precision, next(self.model.parameters()).device, self.runtime is not None)
        self.precision = precision  # fp32, or bf16 / fp16 autocast of the network (core's predict)
        fallback = OovFallback.from_parts(bundle.arrays, bundle.files)  # unknown words' vectors, if any
        usable = self.runtime is None and self.tokenizer.kind == "word"  # an exported network takes ids only
        self.oov: OovFallback | None = fallback if usable else None  # None: unknown words stay [UNK]

    def __repr__(self) -> str:
        return model_repr(self, labels=self.labels, unk=self.unk, precision=self.precision)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path | None = None,
        device: str = "cpu",
        precision: str = "fp32",
        unk: str | None = None,
    ) -> SentimentModel:
        """Loads a bundle written by :func:`train_sentiment` (checksums, kind and shapes checked); ``path=None``:
        the English model shipped in the package; ``precision``: fp32, or bf16 / fp16 autocast (not exported);
        ``unk``: keep, drop ([UNK] ids left out, as never written) or None (asset ``unk``; absent: keep)."""
        where = path if path is not None else shipped_model_path()
        return cls(load_bundle(where, kind=KIND, map_location=device), precision, unk)

    def precisions(self) -> PrecisionReport:
        """``trained_precision`` (the bundle's record) and ``precision`` (what this model runs in: an exported
        bundle's ONNX file's, else ``precision``), as ``--json`` reports them."""
        return bundle_precision_report(self.bundle.data, self.bundle.assets, self.precision)

    def _encode(self, texts: list[str], limit: int) -> Encoded:
        """Ids per text (cut to ``limit``), whether each was cut, an OOV fallback's vectors (:class:`Encoded`)."""
        return encode_for_model(self.tokenizer, self.oov, texts, limit)

    def _run(
        self,
        ids: list[np.ndarray],
        batch_size: int,
        extra: np.ndarray | None = None,
        skip: Set[int] = frozenset(),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities ``(N, C)`` and attention ``(N, T_max)``, in input order (batched by length);
        ``extra``: the vectors of ids past the vocabulary (:meth:`_encode`); ``skip``: texts whose batches are
        left out where they hold nothing else (:func:`read_order`; their rows: zeros)."""
        n, c = len(ids), len(self.labels)
        t_max = max(len(x) for x in ids)
        order = read_order([len(x) for x in ids], batch_size, skip)
        items = np.empty(len(order), dtype=object)
        items[:] = [ids[i] for i in order]
        rows = torch.from_numpy(extra) if extra is not None and len(extra) else None

        def forward(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
            drop = x[:, 1:] == self.tokenizer.unk_id if self.unk == "drop" else None
            if self.runtime is not None:  # the exported network: the same ids dropped before it
                probs, weights = run_without(self.runtime.run, x[:, 1:], x[:, 0], drop)
            else:
                logits, weights = self.model.forward_with_weights(x[:, 1:], x[:, 0], rows, drop)
                probs = torch.softmax(logits.float(), dim=-1)
            weights = weights if weights is not None else probs.new_zeros(x.shape[0], x.shape[1] - 1)
            weights = torch.nn.functional.pad(weights.float(), (0, t_max - weights.shape[1]))
            return torch.cat([probs, weights], dim=1)

        how: dict[str, Any] = {"forward": forward, "prepare": lengths_and_ids, "precision": self.precision}
        raw = predict(self.model, items, batch_size, empty_shape=(c + t_max,), **how)
        result = np.zeros((n, c + t_max), dtype=raw.dtype)
        result[order] = raw
        return result[:, :c], result[:, c:]

    @check_args
    def predict_proba(
        self,
        texts: Iterable[str],
        batch_size: int = 64,
        long: str = DEFAULT_READING,
        warn: bool = True,
        numbers: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Class probabilities ``(N, C)`` in the order of :attr:`labels` (``texts``, ``long``, ``warn``: as
        :meth:`__call__`; ``numbers``: each text's row in the caller's data, from 0, as the warning of texts
        of only ``[UNK]`` names them; None: its place in ``texts``)."""
        check_reading(long)  # before any work
        if not (texts := check_texts(texts, "input", entities=True)):
            return np.zeros((0, len(self.labels)))
        ids, cut, extra, _, unread = self._encode(texts, self.max_length)
        plan = SentenceReading.plan(texts, cut, long)  # from the token counts: split texts are not read whole
        probs = self._run(ids, batch_size, extra, plan.split)[0]
        if plan.flat:
            sentences = self._encode(plan.flat, self.max_length)
            flat = self._run(sentences.ids, batch_size, sentences.extra)[0]
            probs, cut = plan.combine(probs, flat)[0], plan.still_cut(cut, sentences.cut)
        if warn and any(cut):
            warn_truncated(sum(cut), len(texts), self.max_length)
        unread = [numbers[i] for i in unread] if numbers is not None else unread  # not by block nor sentence
        warn_unread(unread if warn else [], len(texts))
        return probs

    @check_args(skip=("max_length",))  # token_limit checks it, in the model's words (NLPConfigError)
    def __call__(
        self,
        texts: Iterable[str],
        batch_size: int = 64,
        max_length: int | None = None,
        warn: bool = True,
        long: str = DEFAULT_READING,
    ) -> list[SentimentPrediction]:
        """Predicts every text (a list, a pandas column, a NumPy array of strings), with tokens and attention.
        ``warn=False``: no warning of texts cut or of only ``[UNK]`` (a caller predicting in blocks counts
        ``truncated`` and ``unknown_only`` itself).
        ``long`` (:data:`carrousel.nlp.long_texts.READINGS`): ``truncated`` reads a text longer than the limit
        sentence by sentence (its ``read``, ``sentences``; tokens and attention of its most decided sentence),
        ``sentences`` every text of several sentences, ``whole`` none (each cut at the limit).

        Raises:
            TextDataError: one string instead of a list; EmptyTextError: a missing, empty or blank text.
            NLPConfigError: a ``max_length`` (tokens kept per text; None: the model's own) not an integer >= 1;
                an unknown ``long``.
        """
        check_reading(long)  # before any work, an empty list too (as predict_proba)
        limit = common.token_limit(max_length, self.max_length)
        if not (texts := check_texts(texts, "input", entities=True)):
            return []
        encoded = self._encode(texts, limit)  # the token counts say which texts are split: not read whole
        plan, unread = SentenceReading.plan(texts, encoded.cut, long), set(encoded.unread)
        out = self._predictions(texts, encoded, batch_size, limit, plan.split)
        if plan.flat:
            flat = self._predictions(plan.flat, self._encode(plan.flat, limit), batch_size, limit)
            out = plan.merged(texts, out, flat, self.labels, self.threshold)
        out = [replace(p, unknown_only=i in unread) for i, p in enumerate(out)]  # as read whole; set: O(1)
        if warn and any(cut := [p.truncated for p in out]):
            warn_truncated(sum(cut), len(texts), limit)
        warn_unread(encoded.unread if warn else [], len(texts))
        return out

    def _predictions(
        self, texts: list[str], encoded: Encoded, batch_size: int, limit: int, skip: Set[int] = frozenset()
    ) -> list[SentimentPrediction]:
        """The texts but ``skip``, read whole, cut at ``limit`` tokens (``encoded``: their :meth:`_encode`)."""
        ids, cut, extra, mapped, _ = encoded
        probs, weights = self._run(ids, batch_size, extra, skip)
        chosen, attention = decide(probs, self.threshold), self.model.attention is not None
        out = []
        for i, text in enumerate(texts):
            if i in skip:
                continue
            k = len(ids[i])
            cap = (limit + 1) * CHARS_PER_TOKEN_CAP  # as in encode_texts
            pieces = [p.strip() or p for p in self.tokenizer.pieces(read_as(text)[:cap])][:k]
            out.append(
                SentimentPrediction(
                    text=text,
                    label=self.labels[int(chosen[i])],
                    probabilities={name: float(p) for name, p in zip(self.labels, probs[i], strict=True)},
                    tokens=pieces,
                    attention=[float(w) for w in weights[i, :k]] if attention else None,
                    truncated=cut[i],
                    unknown_words_mapped=mapped[i] if self.oov is not None else None,
                )
            )
        return out
