"""A label mismatch names the first five unknown labels and counts the rest (before: evaluate named five of
nine unknown labels and said nothing of the other four, so the data looked nearly right)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.errors import LabelMismatchError
from carrousel.nlp.pipeline import evaluate_sentiment


def test_evaluate_counts_the_unknown_labels_it_does_not_name(
    tmp_path: Path, sentiment_model: Path, write_rows: Any
) -> None:
    data = write_rows(tmp_path / "nine.csv", [(f"text number {i}", f"l{i}") for i in range(1, 10)])
    with pytest.raises(LabelMismatchError) as err:
        evaluate_sentiment(SentimentEvaluateConfig(str(sentiment_model), TextDataConfig(str(data))))
    assert "has labels 'l1', 'l2', 'l3', 'l4', 'l5' and 4 more the model does not know" in str(err.value)
    assert "\n" not in str(err.value)
