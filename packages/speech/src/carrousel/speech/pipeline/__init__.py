"""One function per command, ``config -> result``: the only entry the CLI calls.

Each writes every file its command makes (the corpus folder of :func:`synth_corpus`, the model bundle
of :func:`train`), so a Python caller gets the same outputs as the CLI, and returns a result dataclass
the CLI renders. ``progress`` is an optional factory ``progress(description, total)`` -> context
manager yielding ``advance(n)`` (the CLI passes :func:`carrousel.core.cli.progress`).

:mod:`.common` holds ``load_model`` and ``speech synth-corpus``, :mod:`.training` ``speech train``,
:mod:`.transcription` ``speech transcribe``, ``evaluate`` and ``stream``.
"""

from carrousel.speech.pipeline.common import load_model, synth_corpus
from carrousel.speech.pipeline.training import TrainResult, train
from carrousel.speech.pipeline.transcription import EvaluationResult, evaluate, stream, transcribe

__all__ = [
    "EvaluationResult",
    "TrainResult",
    "evaluate",
    "load_model",
    "stream",
    "synth_corpus",
    "train",
    "transcribe",
]
