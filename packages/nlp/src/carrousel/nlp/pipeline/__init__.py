"""The pipelines: one function per command, ``config -> result``, writing every file a run makes.

The CLI calls nothing else; Python callers get the same outputs. :mod:`.sentiment` holds
``nlp sentiment train`` (:mod:`.sentiment_model` ``predict``), :mod:`.sentiment_eval` ``evaluate`` (:mod:`.deploy` its ``export``), :mod:`.generate` holds ``nlp generate train|run|evaluate``,
:mod:`.translate_train` holds ``nlp translate train``, :mod:`.translate` ``run``, :mod:`.translate_eval` ``evaluate``
(:mod:`.translate_deploy` ``export``).
"""

from carrousel.nlp.pipeline.deploy import export_sentiment
from carrousel.nlp.pipeline.generate import (
    LMEvaluation,
    LMTrainResult,
    TextGenerator,
    evaluate_lm,
    train_lm,
)
from carrousel.nlp.pipeline.sentiment import (
    SentimentModel,
    SentimentPrediction,
    SentimentTrainResult,
    train_sentiment,
)
from carrousel.nlp.pipeline.sentiment_eval import SentimentEvaluation, evaluate_sentiment
from carrousel.nlp.pipeline.translate import Translation, Translator
from carrousel.nlp.pipeline.translate_eval import TranslateEvaluation, evaluate_translator
from carrousel.nlp.pipeline.translate_train import TranslateTrainResult, train_translator

__all__ = [
    "LMEvaluation",
    "LMTrainResult",
    "SentimentEvaluation",
    "SentimentModel",
    "SentimentPrediction",
    "SentimentTrainResult",
    "TextGenerator",
    "TranslateEvaluation",
    "TranslateTrainResult",
    "Translation",
    "Translator",
    "evaluate_lm",
    "evaluate_sentiment",
    "evaluate_translator",
    "export_sentiment",
    "train_lm",
    "train_sentiment",
    "train_translator",
]
