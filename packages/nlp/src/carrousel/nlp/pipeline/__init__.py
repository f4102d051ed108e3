"""The pipelines: one function per command, ``config -> result``, writing every file a run makes.

The CLI calls nothing else; Python callers get the same outputs. :mod:`.sentiment` holds
``nlp sentiment train|predict|evaluate``, :mod:`.generate` holds ``nlp generate train|run|evaluate``.
"""

from carrousel.nlp.pipeline.generate import (
    LMEvaluation,
    LMTrainResult,
    TextGenerator,
    evaluate_lm,
    train_lm,
)
from carrousel.nlp.pipeline.sentiment import (
    SentimentEvaluation,
    SentimentModel,
    SentimentPrediction,
    SentimentTrainResult,
    evaluate_sentiment,
    train_sentiment,
)

__all__ = [
    "LMEvaluation",
    "LMTrainResult",
    "SentimentEvaluation",
    "SentimentModel",
    "SentimentPrediction",
    "SentimentTrainResult",
    "TextGenerator",
    "evaluate_lm",
    "evaluate_sentiment",
    "train_lm",
    "train_sentiment",
]
