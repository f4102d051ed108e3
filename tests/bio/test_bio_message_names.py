"""Bio's library messages name a setting as the caller set it: its Python name from Python, its flag inside
a command (:func:`carrousel.core.option_names.option`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.bio.config import DiscoverConfig
from carrousel.bio.errors import TrainingDataError
from carrousel.bio.pipeline import discover
from carrousel.bio.validation import check_lengths
from carrousel.core.option_names import flags_named


def test_sequences_shorter_than_the_window_name_window_as_the_caller_set_it() -> None:
    """From Python (TrainDataConfig(window=...)) the fix read 'give --window 40', a flag the caller never
    had; now 'give window=40', and 'give --window 40' inside a command."""
    with pytest.raises(TrainingDataError) as python:
        check_lengths([40, 100, 120], 60, "p.fa")
    assert str(python.value).endswith("(shortest 40); give window=40 or longer sequences"), python.value
    with flags_named(), pytest.raises(TrainingDataError) as command:
        check_lengths([40, 100, 120], 60, "--positives p.fa")
    assert str(command.value).endswith("(shortest 40); give --window 40 or longer sequences"), command.value


def test_discover_sequences_shorter_than_the_window_name_model_as_the_caller_set_it(tmp_path: Path) -> None:
    """discover(DiscoverConfig(sequences=...)) on sequences shorter than the training window: the fix read
    'or a --model trained on them' from Python too; now '(model)' from Python, '(--model)' in a command."""
    fasta = tmp_path / "short.fa"
    fasta.write_text("".join(f">s{i}\n{'ACGT' * 5}\n" for i in range(4)))  # 20 bases, under the window
    cfg = DiscoverConfig(sequences=str(fasta))
    with pytest.raises(TrainingDataError) as python:
        discover(cfg, tmp_path / "d")
    assert str(python.value).endswith("or a model trained on them (model)"), python.value
    assert "--" not in str(python.value), python.value
    with flags_named(), pytest.raises(TrainingDataError) as command:
        discover(cfg, tmp_path / "d")
    assert str(command.value).endswith("or a model trained on them (--model)"), command.value
    assert not (tmp_path / "d").exists()  # refused before any work
