"""Hugging Face ``datasets`` audiofolder corpora through ``load_corpus``, and the shipped model on one.

The folder is made here: espeak-ng speaks digit strings into ``train/`` and ``test/`` split folders, each
with a ``metadata.csv`` (``file_name``, ``transcription``, ``speaker``) as ``load_dataset("audiofolder")``
expects; a 8 kHz FLAC sits beside 22 kHz WAVs.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.config import EvaluateConfig
from carrousel.speech.data import load_corpus, with_durations
from carrousel.speech.errors import CorpusError
from carrousel.speech.pipeline import evaluate
from carrousel.speech.synth import Voice, synthesize

TRAIN = [("a.wav", "Three one four", "en-us+m3"), ("b.wav", "two, seven!", "en-gb+f2")]
TEST = [("c.flac", "nine five", "en-us+m1"), ("d.wav", "six zero eight", "en-gb-x-rp+m2")]


@pytest.fixture(scope="module")
def espeak() -> None:  # module-scoped twin of conftest's (a module fixture cannot use a function one)
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make system)")


@pytest.fixture(scope="module")
def audiofolder(tmp_path_factory, espeak):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("af")
    for split, items in (("train", TRAIN), ("test", TEST)):
        (root / split).mkdir()
        lines = ["file_name,transcription,speaker"]
        for name, text, voice in items:
            x, rate = synthesize(text.strip(",!"), Voice("espeak-ng", voice, 150.0, 50.0))
            if name.endswith(".flac"):  # a telephone-rate recording in another format
                x, rate = x[:: rate // 8000], 8000
            sf.write(str(root / split / name), np.pad(x, (rate // 10, rate // 10)), rate)
            lines.append(f'{name},"{text}",{voice}')
        (root / split / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_audiofolder_is_detected_with_splits_and_speakers(audiofolder) -> None:
    utts = with_durations(load_corpus(str(audiofolder)))
    assert sorted(u.text for u in utts) == ["nine five", "six zero eight", "three one four", "two seven"]
    assert {u.speaker for u in utts} == {v for _, _, v in TRAIN + TEST}
    by_name = {u.path.rsplit("/", 1)[-1]: u for u in utts}
    assert by_name["c.flac"].path == str(audiofolder / "test" / "c.flac")
    assert all(u.seconds is not None and 0.5 < u.seconds < 5.0 for u in utts)
    test = load_corpus(f"audiofolder:{audiofolder}#test")
    assert sorted(u.text for u in test) == ["nine five", "six zero eight"]
    assert [u.text for u in load_corpus(f"{audiofolder}#train")] == ["three one four", "two seven"]


def test_audiofolder_errors(audiofolder, tmp_path) -> None:
    with pytest.raises(CorpusError, match="no split 'dev'; it has train, test"):
        load_corpus(f"audiofolder:{audiofolder}#dev")
    with pytest.raises(CorpusError, match=r"no metadata\.csv"):
        load_corpus(f"audiofolder:{tmp_path}")
    bad = tmp_path / "bad"
    bad.mkdir()
    sf.write(str(bad / "x.wav"), np.zeros(1600, np.float32), 16000)
    (bad / "metadata.jsonl").write_text(json.dumps({"file_name": "x.wav", "label_text": "go"}) + "\n")
    with pytest.raises(CorpusError, match="no transcript column; name one of transcription"):
        load_corpus(str(bad))


def test_shipped_model_evaluates_an_audiofolder(audiofolder) -> None:
    """The same corpus path feeds evaluation: the shipped model reads digits of these voices well."""
    result = evaluate(EvaluateConfig(data=(f"audiofolder:{audiofolder}",)))
    assert result.utterances == 4 and result.audio_seconds > 2.0
    assert result.totals.cer < 0.35, result.per_utterance
