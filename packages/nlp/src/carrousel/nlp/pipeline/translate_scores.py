"""The validation BLEU and chrF of ``nlp translate train`` after every epoch: :class:`ValidScores`, a core
trainer callback.

After each epoch's validation pass the network translates the validation pairs greedily, as
``nlp translate evaluate --split valid --beam 1 --fallback-nll 0 --no-mbr`` does with the network alone
(no dictionary fallback, no consensus; placeholders masked and put back), and sacrebleu scores the
translations against the references (BLEU's tokenizer chosen by the target language,
:mod:`carrousel.nlp.bleu_tokenize`). The two figures join the epoch's logs as ``val_bleu`` and
``val_chrf`` (and the seconds they took as ``score_time``), so they reach ``history.csv``, the learning curve (``training.png``) and the result's JSON.
Early stopping and the kept weights stay on the validation loss. With a weight average (``--ema-decay``)
the averaged weights are scored, as they are validated. On git's 250 validation pairs this costs about
2 s an epoch against about 16 s of training (nlp README, "Learning curve").
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

import torch

from carrousel.core.optional import require
from carrousel.core.train import Callback
from carrousel.core.train.inference import evaluating
from carrousel.nlp.bleu_tokenize import AUTO, choose_bleu_tokenize
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate_vocab import Vocabularies, encode_sources
from carrousel.nlp.placeholders import unmask
from carrousel.nlp.seq2seq_decode import decode_batch

if TYPE_CHECKING:
    from carrousel.core.train import Trainer
    from carrousel.nlp.config import TranslateTrainConfig

__all__ = ["SCORES", "ValidScores", "can_score"]

logger = logging.getLogger(__name__)

SCORES = ("val_bleu", "val_chrf")  # the figures added to each epoch's logs
# as `nlp translate evaluate --beam 1 --block-ngram-repeat 0` decodes (its batches, its length bound): the curve is
# the network's own greedy output, without the repetition guard that `run` and `evaluate` add by default
_GREEDY = DecodeConfig(beam=1, block_ngram_repeat=0)


def can_score() -> bool:
    """Whether sacrebleu is installed; asked before training, so that a run without it says at once (one
    warning naming the extra) that its epochs get no BLEU or chrF, and trains as before."""
    if importlib.util.find_spec("sacrebleu") is not None:
        return True
    logger.warning(
        "the per-epoch validation BLEU and chrF are skipped: sacrebleu is not installed; run: "
        "pip install 'carrousel-nlp[translate]'"
    )
    return False


class ValidScores(Callback):
    """Adds ``val_bleu`` and ``val_chrf`` (corpus scores, 0-100) of greedy decoding to each epoch's logs.

    Args:
        vocab: the source and target tokenizers the network is trained with.
        pairs: the validation pairs (source, reference) as read, before any masking.
        cfg: the training's settings: its target language (BLEU's tokenizer), whether sources are masked
            (placeholders) and the source ids kept per sentence, as the bundle decodes them.
        unknown: the placeholder predicate of rare words (None: no word is masked).
    """

    def __init__(
        self,
        vocab: Vocabularies,
        pairs: Sequence[tuple[str, str]],
        cfg: TranslateTrainConfig,
        unknown: Callable[[str], bool] | None = None,
    ) -> None:
        sacrebleu = require("sacrebleu", "carrousel-nlp[translate]", "the per-epoch validation BLEU and chrF")
        self.vocab = vocab
        self.refs = [t for _, t in pairs]
        sources = [s for s, _ in pairs]
        self.masked, self.ids = encode_sources(
            vocab.source, sources, unknown, cfg.placeholders, cfg.max_tokens,
            usage_commands=_GREEDY.usage_commands,
        )  # fmt: skip
        self.order = sorted(range(len(self.ids)), key=lambda i: len(self.ids[i]))
        self.bleu = sacrebleu.metrics.BLEU(tokenize=choose_bleu_tokenize(cfg.data.tgt, self.refs, AUTO).name)
        self.chrf = sacrebleu.metrics.CHRF()

    def translations(self, model: torch.nn.Module) -> list[str]:
        """The greedy translations of the validation sources by ``model`` (a Seq2Seq), in their order."""
        out_tok, found = self.vocab.target, [""] * len(self.ids)
        with evaluating(model):
            for b in range(0, len(self.order), _GREEDY.batch_size):
                chunk = self.order[b : b + _GREEDY.batch_size]
                hyps = decode_batch(
                    model,
                    [self.ids[i] for i in chunk],
                    out_tok.bos_id,
                    out_tok.eos_id,
                    beam=_GREEDY.beam,
                    max_ratio=_GREEDY.max_ratio,
                    block_ngram_repeat=_GREEDY.block_ngram_repeat,
                )
                for i, h in zip(chunk, hyps, strict=True):
                    found[i] = unmask(out_tok.decode(h.labels), self.masked[i][1]).strip()
        return found

    def scores(self, model: torch.nn.Module) -> dict[str, float]:
        """``{"val_bleu": ..., "val_chrf": ...}`` of ``model``'s greedy translations (NaN: no pair)."""
        if not self.refs:
            return dict.fromkeys(SCORES, math.nan)
        hyps = self.translations(model)
        return {
            "val_bleu": float(self.bleu.corpus_score(hyps, [self.refs]).score),
            "val_chrf": float(self.chrf.corpus_score(hyps, [self.refs]).score),
        }

    def on_validation_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Scores the weights just validated (the average with ``ema_decay``) into ``logs``, with the seconds
        it took as ``score_time`` (beside the trainer's ``epoch_time``)."""
        start = time.perf_counter()
        average = trainer.ema.swapped(trainer.model) if trainer.ema is not None else nullcontext()
        with average:
            logs.update(self.scores(trainer.model))
        logs["score_time"] = time.perf_counter() - start
