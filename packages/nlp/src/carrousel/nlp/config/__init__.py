"""Configurations of the nlp commands: frozen dataclasses, one per command, composed of sub-configs.

Each is built once from the CLI flags (or from ``--config run.toml`` through
:func:`carrousel.core.config.load_toml`, then :func:`dataclasses.replace` with the flags given) and checked
in ``__post_init__``; a bad value raises :class:`~carrousel.nlp.errors.NLPConfigError` (exit 1).

The configs live in one module per pipeline and are all re-exported here (``from carrousel.nlp.config
import X``): :mod:`~carrousel.nlp.config.common` (tokenizer, labelled texts, optimisation, choice lists),
:mod:`~carrousel.nlp.config.sentiment`, :mod:`~carrousel.nlp.config.generate` (the language model) and
:mod:`~carrousel.nlp.config.translate`; their shared value checks are in ``_checks``.
"""

from __future__ import annotations

from carrousel.nlp.config.common import (
    CELLS,
    POOLINGS,
    TEACHERS,
    THRESHOLDS,
    TOKENIZER_KINDS,
    FitConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.config.generate import (
    STDIN_UNREADABLE,
    GenerateConfig,
    LMDataConfig,
    LMEvaluateConfig,
    LMExportConfig,
    LMNetConfig,
    LMTrainConfig,
)
from carrousel.nlp.config.sentiment import (
    SentimentEvaluateConfig,
    SentimentExportConfig,
    SentimentNetConfig,
    SentimentPredictConfig,
    SentimentTrainConfig,
    TeacherConfig,
)
from carrousel.nlp.config.translate import (
    MAX_LENGTH_PENALTY,
    DecodeConfig,
    TranslateDataConfig,
    TranslateEvaluateConfig,
    TranslateExportConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)

__all__ = [
    "CELLS",
    "MAX_LENGTH_PENALTY",
    "POOLINGS",
    "STDIN_UNREADABLE",
    "TEACHERS",
    "THRESHOLDS",
    "TOKENIZER_KINDS",
    "DecodeConfig",
    "FitConfig",
    "GenerateConfig",
    "LMDataConfig",
    "LMEvaluateConfig",
    "LMExportConfig",
    "LMNetConfig",
    "LMTrainConfig",
    "SentimentEvaluateConfig",
    "SentimentExportConfig",
    "SentimentNetConfig",
    "SentimentPredictConfig",
    "SentimentTrainConfig",
    "TeacherConfig",
    "TextDataConfig",
    "TokenizerConfig",
    "TranslateDataConfig",
    "TranslateEvaluateConfig",
    "TranslateExportConfig",
    "TranslateNetConfig",
    "TranslateTrainConfig",
]
