"""``speech stream --threads N``, as ``speech transcribe`` and ``evaluate`` take it (the shared ``--threads``
option, ``StreamConfig.threads``, set before the model loads). Before, ``stream`` had no such option: a usage
error, and the run took torch's default of every core (several times slower on a loaded machine, README)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from carrousel.speech import pipeline
from carrousel.speech.cli import app
from carrousel.speech.config import StreamConfig
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.pipeline import transcription
from tests.cli_harness import config_of


def test_stream_takes_threads_as_transcribe_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"")
    args = ["stream", str(wav), "--threads", "2", "--chunk-ms", "500", "--max-seconds", "60"]
    cfg = config_of(monkeypatch, app, pipeline, "stream", *args)
    assert (cfg.threads, cfg.chunk_ms, cfg.max_seconds, cfg.device, cfg.model) == (
        2,
        500.0,
        60.0,
        "cpu",
        None,
    )
    assert config_of(monkeypatch, app, pipeline, "stream", "stream", str(wav)).threads is None


def test_stream_sets_the_threads_before_the_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def load(*args: object, **kwargs: object) -> None:
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr(transcription, "load_model", load)  # what stream calls
    with pytest.raises(RuntimeError, match="stop here"):
        list(pipeline.stream(StreamConfig(threads=3), str(tmp_path / "x.wav")))
    assert seen == [3]  # the conftest puts the thread count back
    with pytest.raises(SpeechConfigError, match=r"threads must be in 1\.\."):
        StreamConfig(threads=0)
