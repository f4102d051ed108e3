"""What ``nlp generate train`` returns (:class:`LMTrainResult`), apart from the pipeline that makes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LMTrainResult"]


@dataclass
class LMTrainResult:
    """What ``nlp generate train`` reports."""

    out: Path  # the bundle folder
    vocab_size: int  # tokenizer entries
    train_tokens: int  # tokens trained on
    held_out_tokens: int  # tokens of the held-out tail
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    perplexity: float  # on the held-out tail (one stream)
    seconds: float  # wall time
    precision: str = "fp32"  # training arithmetic: fp32, or bf16 / fp16 autocast (weights float32)
