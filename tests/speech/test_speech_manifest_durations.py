"""A manifest ``duration`` that is not its recording's length (100 s or 0.3 s for a 1.5 s file) was taken
silently: evaluation reported the file's length while training took 100 s as too long. The recording's
length is used, and the disagreeing rows are counted in one warning naming the first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carrousel.speech.data import load_corpus
from tests.speech.conftest import sine_recordings

LOGGER = "carrousel.speech.manifests"


def test_a_tsv_duration_off_the_file_is_replaced_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names = sine_recordings(tmp_path, 1.5, 3)
    rows = "".join(f"{n}\tone two\t{d}\n" for n, d in zip(names, ("100", "0.3", "1.53"), strict=True))
    (tmp_path / "m.tsv").write_text("path\ttranscript\tduration\n" + rows, encoding="utf-8")
    with caplog.at_level("WARNING", logger=LOGGER):
        utts = load_corpus(str(tmp_path / "m.tsv"))
    assert [u.seconds for u in utts] == [1.5, 1.5, 1.5]  # before: 100, 0.3, 1.53
    said = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(said) == 1 and "2 of 3 rows give a duration" in said[0], said  # 1.53: rounding, agrees
    assert "line 2: 100 s, a0.wav holds 1.50 s" in said[0], said


def test_a_jsonl_duration_off_the_file_is_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    names = sine_recordings(tmp_path, 1.5, 3)
    lines = [json.dumps({"audio_filepath": n, "text": "one two", "duration": 100.0}) for n in names[:1]]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger=LOGGER):
        utts = load_corpus(str(tmp_path / "m.jsonl"))
    assert [u.seconds for u in utts] == [1.5]
    assert "1 of 1 rows give a duration" in caplog.text


def test_agreeing_durations_say_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    names = sine_recordings(tmp_path, 1.5, 3)
    rows = "".join(f"{n}\tone two\t1.5\n" for n in names)
    (tmp_path / "m.tsv").write_text("path\ttranscript\tduration\n" + rows, encoding="utf-8")
    with caplog.at_level("WARNING", logger=LOGGER):
        assert [u.seconds for u in load_corpus(str(tmp_path / "m.tsv"))] == [1.5] * 3
    assert caplog.text == ""
