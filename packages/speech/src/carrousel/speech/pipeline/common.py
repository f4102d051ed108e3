"""What every command's pipeline shares: loading a recogniser and the thread count; and ``speech
synth-corpus``'s function."""

from __future__ import annotations

from pathlib import Path

import torch

from carrousel.core.args import check_args
from carrousel.speech import synth
from carrousel.speech.config import SynthConfig
from carrousel.speech.longform import Progress, no_progress
from carrousel.speech.recognizer import Recognizer

__all__ = ["load_model", "synth_corpus", "use_threads"]


@check_args
def use_threads(n: int | None) -> None:
    """Sets torch's intra-op thread count to a run's ``threads`` (None: torch's default, unchanged)."""
    if n is not None:
        torch.set_num_threads(n)


def load_model(path: str | Path | None = None, device: str = "cpu", precision: str = "fp32") -> Recognizer:
    """A recogniser bundle (None: the shipped English model), run in ``precision`` (fp32, bf16, fp16)."""
    return Recognizer.from_pretrained(path, device, precision)


def synth_corpus(cfg: SynthConfig, progress: Progress | None = None) -> synth.SynthResult:
    """``speech synth-corpus``: writes ``cfg.out`` (manifest.tsv + wav/) and returns what it holds."""
    with (progress or no_progress)("synthesising", float(cfg.utterances)) as advance:
        return synth.synth_corpus(cfg, advance)
