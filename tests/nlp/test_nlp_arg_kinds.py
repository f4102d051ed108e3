"""NLP's public functions and methods refuse a bool/int argument of the wrong kind at the call, in one line
(before: none was refused up front); see tests/arg_kinds.py and carrousel.core.args.check_args."""

from __future__ import annotations

from tests.arg_kinds import wrong_kind_failures

ALLOW = {
    "carrousel.nlp.baselines.NGramLM.prob": "per word of every scored sentence (pure Python)",
    "carrousel.nlp.tokenization.TextTokenizer.id_to_token": "per token of every decoded output",
    "carrousel.nlp.pipeline.translate_scores.ValidScores.on_validation_end": (
        "a trainer hook: called by core's Trainer with its own epoch counter, as core's callbacks are"
    ),
    "carrousel.nlp.pipeline.sentiment_model.SentimentModel.__call__(max_length)": (
        "checked in the body by token_limit (NLPConfigError suggesting the model's own limit)"
    ),
    "carrousel.nlp.config._checks.need": (
        "the configs' private check helper, called by their __post_init__ with a comparison's result"
    ),
    "carrousel.nlp.config._checks.fraction": (
        "the configs' private check helper, called by their __post_init__ after check_numbers"
    ),
}


def test_every_bool_and_int_argument_refuses_the_wrong_kind() -> None:
    failures, tried = wrong_kind_failures("nlp", ALLOW)
    assert failures == []
    assert tried > 40  # the walk found the package's public API
