"""Each ranged ``speech`` option and the config field it sets share one bound, named once in
:mod:`carrousel.speech.config` (before: the option and the check each wrote ``8..2048``, ``1..8``, ``0..8000``
... as literals, and ``--epochs`` had no upper bound at all)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.main import get_command

from carrousel.core.config import MAX_EPOCHS
from carrousel.speech.cli import app
from carrousel.speech.config import DecodeConfig, StreamConfig, SynthConfig, TrainConfig, TranscribeConfig
from carrousel.speech.errors import SpeechConfigError

Build = Callable[[float], object]
# --lr and --val-fraction are left out: an open end (Above/Below) is parsed by core's FloatRange, not typer;
# tests/speech/test_speech_cli.py runs them past their ends (usage errors), and they read TrainConfig's bounds

CASES: list[tuple[str, str, Build]] = [
    ("train", "--epochs", lambda v: TrainConfig(data=("d",), epochs=int(v))),
    ("train", "--hidden", lambda v: TrainConfig(data=("d",), hidden=int(v))),
    ("train", "--layers", lambda v: TrainConfig(data=("d",), layers=int(v))),
    ("train", "--subsample", lambda v: TrainConfig(data=("d",), subsample=int(v))),
    ("train", "--subwords", lambda v: TrainConfig(data=("d",), subwords=int(v))),
    ("train", "--batch-seconds", lambda v: TrainConfig(data=("d",), batch_seconds=v)),
    ("train", "--max-utterances", lambda v: TrainConfig(data=("d",), max_utterances=int(v))),
    ("train", "--workers", lambda v: TrainConfig(data=("d",), workers=int(v))),
    ("transcribe", "--beam", lambda v: DecodeConfig(beam=int(v))),
    ("transcribe", "--nbest", lambda v: DecodeConfig(beam=int(v), nbest=int(v))),
    ("transcribe", "--chunk-seconds", lambda v: TranscribeConfig(chunk_seconds=v)),
    ("transcribe", "--max-seconds", lambda v: TranscribeConfig(max_seconds=v)),
    ("stream", "--chunk-ms", lambda v: StreamConfig(chunk_ms=v)),
    ("stream", "--max-seconds", lambda v: StreamConfig(max_seconds=v)),
    ("stream", "--threads", lambda v: StreamConfig(threads=int(v))),
    ("synth-corpus", "--utterances", lambda v: SynthConfig(out="o", utterances=int(v))),
    ("synth-corpus", "--workers", lambda v: SynthConfig(out="o", workers=int(v))),
]


def _range(command: str, flag: str) -> tuple[float | None, float | None]:
    """The option's (min, max) as typer declares them."""
    cmd = get_command(app).commands[command]  # type: ignore[attr-defined]
    param = next(p for p in cmd.params if flag in getattr(p, "opts", []))
    return param.min, param.max


@pytest.mark.parametrize(("command", "flag", "build"), CASES, ids=[f"{c} {f}" for c, f, _ in CASES])
def test_an_options_range_is_its_config_fields_range(command: str, flag: str, build: Build) -> None:
    """The option's ends are accepted by the config and a step past them is refused, so the two agree."""
    low, high = _range(command, flag)
    assert high is not None or flag == "--max-utterances", f"{command} {flag} has no upper bound"
    step = 1 if isinstance(high if high is not None else low, int) else 1e-3
    if high is not None:
        build(high)
        with pytest.raises(SpeechConfigError):
            build(high + step)
    if low is not None:
        build(low)
        with pytest.raises(SpeechConfigError):
            build(low - step)


def test_the_bounds_are_the_named_constants() -> None:
    assert _range("train", "--epochs") == (1, MAX_EPOCHS)
    assert _range("train", "--hidden") == (TrainConfig.MIN_HIDDEN, TrainConfig.MAX_HIDDEN)
    assert _range("train", "--layers") == (1, TrainConfig.MAX_LAYERS)
    assert _range("train", "--subwords") == (0, TrainConfig.MAX_SUBWORDS)
    assert _range("transcribe", "--beam") == (1, DecodeConfig.MAX_BEAM)
    with pytest.raises(SpeechConfigError, match=f"epochs must be in 1..{MAX_EPOCHS}"):
        TrainConfig(data=("d",), epochs=MAX_EPOCHS + 1)  # before: any number of epochs was taken
