"""``benchmarks/bench_nlp_sentiment.py --alpha A``: the distilled student's weight of the soft term reaches
``TeacherConfig.alpha`` (0.9 when not given, the value the bench always used), and a weight outside [0, 1]
is a usage error before any work."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import SentimentTrainConfig

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_nlp_sentiment.py"


class _StopError(Exception):
    """Raised by the stand-in trainer once it has seen the config."""


def _config_of(tmp_path: Path, **kwargs: Any) -> SentimentTrainConfig:
    bench = runpy.run_path(str(SCRIPT))  # the functions only: the __main__ block does not run
    distilled = bench["distilled"]
    seen: list[SentimentTrainConfig] = []

    def train(cfg: SentimentTrainConfig, out: Path) -> None:
        seen.append(cfg)
        raise _StopError

    train_csv = tmp_path / "train.csv"
    train_csv.write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
    original = distilled.__globals__["train_sentiment"]
    distilled.__globals__["train_sentiment"] = train
    try:
        with pytest.raises(_StopError):
            distilled(train_csv, [], tmp_path, 0, (), 0, **kwargs)
    finally:
        distilled.__globals__["train_sentiment"] = original
    return seen[0]


def _teacher(tmp_path: Path, **kwargs: Any) -> tuple[float, float]:
    teacher = _config_of(tmp_path, **kwargs).teacher
    assert teacher is not None
    return teacher.alpha, teacher.temperature


def test_alpha_reaches_the_teacher_config(tmp_path: Path) -> None:
    assert _teacher(tmp_path) == (0.9, 2.0)  # not given: what the bench always trained with
    assert _teacher(tmp_path, alpha=1.0) == (1.0, 2.0)  # soft targets only; the temperature unchanged


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_an_alpha_outside_zero_one_is_a_usage_error(value: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--alpha", value], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "--alpha must be in [0, 1]" in done.stderr
    assert done.stdout == ""
