"""What a notebook hands the speech Python API: one hotword as a string, a missing transcript, a generator of
scores, paths as Path, one array where chunks are expected, one feature tensor, and what repr() shows. Found by
the notebook sweep."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.speech.config import DecodeConfig, TranscribeConfig
from carrousel.speech.errors import AudioError, TranscriptError
from carrousel.speech.metrics import error_rates, score_utterance
from carrousel.speech.pipeline import transcribe
from carrousel.speech.recognizer import Recognizer, shipped_model_path


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    return Recognizer.from_pretrained()


def test_one_hotword_given_as_a_string_is_one_hotword() -> None:
    # before: hotwords="ferrars" was seven hotwords, f, e, r, r, a, r, s (and the transcript changed)
    assert DecodeConfig(hotwords="ferrars").hotwords == ("ferrars",)  # type: ignore[arg-type]
    assert DecodeConfig(hotwords=["ferrars"]).hotwords == ("ferrars",)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ref", "hyp", "name"), [(float("nan"), "a", "reference"), ("a", None, "hypothesis")]
)
def test_a_missing_transcript_is_one_line(ref: object, hyp: object, name: str) -> None:
    # before: TypeError "normalize() argument 2 must be str, not float"
    with pytest.raises(TranscriptError, match=rf"^u1: {name} is .*, not text; give a string"):
        score_utterance("u1", ref, hyp)  # type: ignore[arg-type]


def test_error_rates_of_a_generator_are_those_of_its_list() -> None:
    # before: jiwer's "... lengths must match. Instead got 2 reference and 1 hypothesis sentences"
    scores = [score_utterance("u", "a b", "a c"), score_utterance("v", "hello world", "hello word")]
    assert error_rates(s for s in scores) == error_rates(scores)


def test_transcribe_takes_paths_and_refuses_one_path_or_none(rec: Recognizer, tone, write_wav) -> None:  # type: ignore[no-untyped-def]
    wav = write_wav("t.wav", tone(1.0))
    # before: AttributeError "'PosixPath' object has no attribute 'endswith'"
    (shown,) = transcribe(TranscribeConfig(), [wav], recognizer=rec)
    assert (
        shown.path == str(wav)
        and shown.text == transcribe(TranscribeConfig(), [str(wav)], recognizer=rec)[0].text
    )
    with pytest.raises(AudioError, match=r"^got one path, not a list of paths; pass \[path\]"):
        transcribe(TranscribeConfig(), wav, recognizer=rec)  # type: ignore[arg-type]
    with pytest.raises(AudioError, match=r"^got None, not a list of paths"):  # before: a TypeError
        list(rec.transcribe_files(None))  # type: ignore[arg-type]


def test_one_array_or_one_tensor_where_a_list_belongs_is_one_line(rec: Recognizer, tone) -> None:  # type: ignore[no-untyped-def]
    audio = tone(0.5)
    stream = Recognizer.from_pretrained(shipped_model_path("stream"))
    # before: 'stream chunk 0: audio of shape (); give one mono channel' (each sample read as a chunk)
    with pytest.raises(AudioError, match=r"^got one array, not chunks of audio; pass iter\(\[audio\]\)"):
        list(stream.stream(audio))
    assert list(stream.stream(iter([audio])))[-1].final
    # before: RuntimeError "Boolean value of Tensor with more than one value is ambiguous"
    feats = rec.input_features(audio)
    with pytest.raises(
        AudioError, match=r"^got one tensor of shape \(\d+, \d+\), not a list; pass \[feats\]"
    ):
        rec.log_probs(feats)  # type: ignore[arg-type]
    assert np.allclose(rec.log_probs([feats])[0], rec.log_probs([feats, feats])[1], atol=1e-4)


def test_a_recognizer_shows_one_line(rec: Recognizer) -> None:
    # before: <carrousel.speech.recognizer.Recognizer object at 0x7f...>
    assert repr(rec) == "Recognizer(features='mfcc', rate=16000, streaming=False, device='cpu')"
