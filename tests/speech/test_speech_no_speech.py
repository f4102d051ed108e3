"""Recordings without speech: an empty transcript is a valid answer, from the corpus to the score.

``speech synth-corpus --noise-share F`` writes noise-only and near-silent utterances with an empty
transcript; manifests keep such rows (a transcript with no letter or digit is still left out), CTC
trains on their zero-length targets (all blank), and WER/CER score them as jiwer and sclite do (every
hypothesis word an insertion; nothing is correct). A model taught to name noise learns to answer
nothing from such rows; the shipped model (v4, fine-tuned with them) answers nothing to fresh noise.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.speech.cli import main
from carrousel.speech.config import (
    EvaluateConfig,
    StreamConfig,
    SynthConfig,
    TrainConfig,
    TranscribeConfig,
)
from carrousel.speech.data import SpeechDataset, load_corpus, make_loader, trainable
from carrousel.speech.errors import AudioError
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.metrics import error_rates, score_utterance
from carrousel.speech.pipeline import evaluate, stream, train
from carrousel.speech.recognizer import Recognizer, shipped_model_path
from carrousel.speech.synth import NO_SPEECH_SECONDS, synth_corpus
from carrousel.speech.task import CTCTask
from tests.speech.conftest import manifest_rows


def test_empty_transcripts_are_kept_as_no_speech(tmp_path, write_wav, tone, caplog) -> None:
    for name in ("a", "b", "c"):
        write_wav(f"{name}.wav", tone(0.5))
    m = tmp_path / "m.tsv"
    m.write_text("path\ttranscript\na.wav\t\nb.wav\t?!\nc.wav\tgo\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="carrousel.speech.data"):
        utts = load_corpus(str(m))
    assert [(u.text, u.no_speech) for u in utts] == [("", True), ("go", False)]
    assert "1 of 3 recordings have no transcript" in caplog.text  # "?!" has no letter or digit


def test_scores_of_recordings_without_speech() -> None:
    right, wrong = score_utterance("n1", "", ""), score_utterance("n2", "", "a b")
    assert (right.wer, right.cer, right.insertions) == (0.0, 0.0, 0)
    assert (wrong.insertions, wrong.deletions, wrong.wer) == (2, 0, 2.0)  # jiwer's, sclite's count
    speech = score_utterance("s", "one two", "one two")
    totals = error_rates([speech, right, wrong])
    assert (totals.words, totals.insertions, totals.wer) == (2, 2, 1.0)  # errors over the speech's words
    assert (totals.no_speech, totals.no_speech_empty) == (2, 1)
    assert error_rates([speech]).no_speech == 0


def test_ctc_trains_on_empty_targets(tmp_path, write_wav, tone) -> None:
    write_wav("n.wav", np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1)
    write_wav("s.wav", tone(1.0))
    m = tmp_path / "m.tsv"
    m.write_text("path\ttranscript\tseconds\nn.wav\t\t1.0\ns.wav\tgo\t1.0\n", encoding="utf-8")
    shipped = Recognizer.from_pretrained(None)
    frame = FeatureExtractor(shipped.features).frame_seconds * shipped.model.subsample
    utts, dropped = trainable(load_corpus(str(m)), shipped.alphabet, frame, 30.0)
    assert [u.text for u in utts] == ["", "go"] and not any(dropped.values())
    fx = FeatureExtractor(shipped.features, torch.from_numpy(shipped.mean), torch.from_numpy(shipped.std))
    batch = next(iter(make_loader(SpeechDataset(utts, fx, shipped.alphabet), 8.0, False)))
    assert sorted(batch[3].tolist()) == [0, 2]
    task = CTCTask(shipped.alphabet)
    loss = task.loss(task.forward(shipped.model.train(), batch), batch)
    assert math.isfinite(float(loss.detach())) and task.infinite == 0
    loss.backward()


def test_synth_noise_share(tmp_path, engines) -> None:
    base = manifest_rows(synth_corpus(SynthConfig(out=str(tmp_path / "s"), utterances=10, seed=4)).manifest)
    mixed = manifest_rows(
        synth_corpus(SynthConfig(out=str(tmp_path / "m"), utterances=10, seed=4, noise_share=0.5)).manifest
    )
    none = [r for r in mixed if r[4] == "none"]
    assert 0 < len(none) < 10
    assert all(r[1] == "" and r[3] == "none" for r in none)
    assert all(NO_SPEECH_SECONDS[0] - 0.01 <= float(r[2]) <= NO_SPEECH_SECONDS[1] + 0.01 for r in none)
    # the speech utterances are those of the corpus without the option, index by index
    assert [r for r in mixed if r[4] != "none"] == [
        b for b, r in zip(base, mixed, strict=True) if r[4] != "none"
    ]
    utts = load_corpus(str(tmp_path / "m" / "manifest.tsv"))  # read back: no row left out, none refused
    assert len(utts) == 10 and sum(u.no_speech for u in utts) == len(none)


@pytest.mark.parametrize("flag", ["--noise-share", "--lone-share", "--clip-share", "--pause-share"])
@pytest.mark.parametrize("share", ["1.5", "-0.1", "x"])
def test_synth_bad_share_is_a_usage_error(capsys, monkeypatch, tmp_path, flag, share) -> None:
    args = ["speech", "synth-corpus", "--out", str(tmp_path / "c"), "-n", "2", flag, share]
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code == 2 and out == "" and flag in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "c").exists()


def _synth(folder: Path, n: int, seed: int, share: float, heldout: bool = False) -> str:
    cfg = SynthConfig(out=str(folder), utterances=n, seed=seed, noise_share=share, heldout=heldout)
    return synth_corpus(cfg).manifest


def _said_nothing(model: str | None, data: str) -> int:
    totals = evaluate(EvaluateConfig(data=(data,), transcribe=TranscribeConfig(model=model))).totals
    assert totals.no_speech == 12
    return totals.no_speech_empty


def test_training_on_empty_transcripts_teaches_to_answer_nothing(tmp_path, engines) -> None:
    """A model first taught to say "a" to noise (the 16 noise clips labelled "a") answers nothing to
    fresh noise after a few epochs on the same clips with their empty transcripts (3 seeds: 0 -> 12 of 12)."""
    data, noise = _synth(tmp_path / "train", 16, 11, 1.0), _synth(tmp_path / "noise", 12, 12, 1.0, True)
    lines = Path(data).read_text(encoding="utf-8").splitlines()
    wrong = Path(data).with_name("a.tsv")
    wrong.write_text("\n".join([lines[0], *(r.replace("\t\t", "\ta\t", 1) for r in lines[1:]), ""]), "utf-8")
    common = {"val_fraction": 0.0, "lr": 3e-3, "batch_seconds": 6.0, "device": "cpu", "workers": 0}
    shipped = str(shipped_model_path())
    train(
        TrainConfig(data=(str(wrong),), init_from=shipped, **common | {"epochs": 8, "lr": 5e-3}),
        tmp_path / "a",
    )
    train(TrainConfig(data=(data,), init_from=str(tmp_path / "a"), epochs=3, **common), tmp_path / "b")
    before, after = _said_nothing(str(tmp_path / "a"), noise), _said_nothing(str(tmp_path / "b"), noise)
    assert before <= 4 and after >= 9, (before, after)


def test_shipped_model_answers_nothing_to_noise(tmp_path, engines) -> None:
    """v4 was fine-tuned with noise-only utterances (v2 said nothing to 38 of 100 such clips, v4 to 100)."""
    assert _said_nothing(None, _synth(tmp_path / "noise", 12, 31, 1.0, True)) >= 10


def test_shipped_stream_model_answers_nothing_to_noise(tmp_path, engines) -> None:
    """The streaming model, fed in 320 ms chunks as ``speech stream`` does, says nothing to fresh noise
    (100 of 100 clips in the README's measurement)."""
    manifest = _synth(tmp_path / "noise", 12, 31, 1.0, True)
    finals = [
        list(stream(StreamConfig(), str(tmp_path / "noise" / r[0])))[-1] for r in manifest_rows(manifest)
    ]
    assert len(finals) == 12 and all(f.final for f in finals)
    assert sum(not f.text for f in finals) >= 10, [f.text for f in finals]


def test_evaluate_scores_a_silent_recording_without_speech_as_nothing(tmp_path, write_wav, tone) -> None:
    """Before: ``speech evaluate`` stopped at a digitally silent (or constant) recording whose transcript is
    empty ("is silent", exit 1), though nothing is its right answer and ``speech train`` reads it."""
    write_wav("go.wav", tone(0.5))
    write_wav("zero.wav", np.zeros(8000, np.float32))
    write_wav("dc.wav", np.full(8000, 0.3, np.float32))
    write_wav("said.wav", np.zeros(8000, np.float32))
    rows = "go.wav\tgo\nzero.wav\t\ndc.wav\t\n"
    (tmp_path / "m.tsv").write_text(f"path\ttranscript\n{rows}", encoding="utf-8")
    result = evaluate(EvaluateConfig(data=(str(tmp_path / "m.tsv"),), transcribe=TranscribeConfig(threads=1)))
    assert [(s.path.rpartition("/")[2], s.hypothesis) for s in result.per_utterance[1:]] == [
        ("zero.wav", ""),
        ("dc.wav", ""),
    ]
    assert (result.totals.no_speech, result.totals.no_speech_empty) == (2, 2)
    assert result.audio_seconds == 1.5
    (tmp_path / "m.tsv").write_text(f"path\ttranscript\n{rows}said.wav\tgo\n", encoding="utf-8")
    with pytest.raises(AudioError, match=r"said\.wav is silent"):  # a transcript says speech: still refused
        evaluate(EvaluateConfig(data=(str(tmp_path / "m.tsv"),), transcribe=TranscribeConfig(threads=1)))
