"""``speech train --data m.tsv`` on a corpus of one recording: the split held it out for validation and
the run ended "no usable training utterance in m.tsv (dropped: {'too_long': 0, 'too_short_for_transcript':
0, 'no_known_characters': 0})": a Python dict, all zeros, naming neither the cause nor a fix. The line now
says the utterance went to validation and how to train anyway; a corpus whose utterances were all left out
names the reasons in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.speech import pipeline
from carrousel.speech.config import TrainConfig
from carrousel.speech.errors import CorpusError
from tests.speech.conftest import sine_manifest


def test_a_corpus_held_out_whole_says_so_and_names_the_fix(tmp_path: Path) -> None:
    data = sine_manifest(tmp_path, 1.0, 1)
    with pytest.raises(CorpusError) as exc:
        pipeline.train(TrainConfig(data=(data,), epochs=1), tmp_path / "model")
    message = str(exc.value)
    assert message.startswith(f"{data}: its 1 utterance(s) all went to validation"), message
    assert "val_fraction=0" in message and "val_data" in message and "{" not in message, message
    assert not (tmp_path / "model").exists()


def test_every_utterance_left_out_names_the_reasons_in_words(tmp_path: Path) -> None:
    data = sine_manifest(tmp_path, 1.0, 3)
    with pytest.raises(CorpusError) as exc:
        pipeline.train(TrainConfig(data=(data,), epochs=1, max_seconds=0.5, val_fraction=0.0), tmp_path / "m")
    assert str(exc.value) == (  # before: "no usable training utterance in m.tsv (...); give recordings no
        # longer than the limit, ..." (which limit, set where?), and speech export --prune's own wording
        f"{data}: no usable training utterance (left out: 3 too long); give recordings of at most 0.5 s (or "
        "raise max_seconds), long enough for their transcripts, written in the model's alphabet"
    )


def test_the_cli_names_the_limit_as_the_command_sets_it(tmp_path: Path) -> None:
    """The same line as ``speech export --prune``'s (:func:`train_checks.no_usable_training`), the limit
    named as the command sets it (``speech train`` has no flag for it: a ``--config`` field)."""
    from typer.testing import CliRunner

    from carrousel.speech.cli import app

    data = sine_manifest(tmp_path, 1.0, 3)
    toml = tmp_path / "run.toml"
    toml.write_text("max_seconds = 0.5\nval_fraction = 0.0\n", encoding="utf-8")
    args = ["train", "--data", data, "--out", str(tmp_path / "m"), "--config", str(toml)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    said = f"{data}: no usable training utterance (left out: 3 too long); give recordings of at most 0.5 s"
    assert f"{said} (or raise max_seconds in " in " ".join(res.output.split()), res.output
    assert not (tmp_path / "m").exists()


def test_the_utterances_left_out_of_a_run_are_logged_in_words(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    data = sine_manifest(tmp_path, 1.0, 3)
    long = tmp_path / "long"
    long.mkdir()
    sine_manifest(long, 2.0, 1)
    path = Path(data)
    path.write_text(path.read_text() + "long/a0.wav\tone two\n", encoding="utf-8")
    cfg = TrainConfig(
        data=(data,), epochs=1, hidden=8, layers=1, max_seconds=1.5, val_fraction=0.0, workers=0
    )
    with caplog.at_level("WARNING", logger="carrousel.speech.pipeline.training"):
        pipeline.train(cfg, tmp_path / "model")
    said = [r.getMessage() for r in caplog.records if r.name == "carrousel.speech.pipeline.training"]
    assert "left out of training: 1 too long" in said, said  # before: {'too_long': 1}


def test_rows_left_out_are_counted_in_both_splits(tmp_path: Path) -> None:
    """2 rows too short: one went to validation, and the line said "left out: 1 too short"."""
    data = sine_manifest(tmp_path, 0.05, 2, "one two three four five")
    with pytest.raises(CorpusError) as exc:
        pipeline.train(TrainConfig(data=(data,), epochs=1), tmp_path / "m")
    message = str(exc.value)
    assert "(left out: 2 too short for transcript, 1 of them split off for validation)" in message, message


def test_a_row_held_out_whole_and_left_out_says_both(tmp_path: Path) -> None:
    data = sine_manifest(tmp_path, 0.05, 1, "one two three four five")
    with pytest.raises(CorpusError) as exc:
        pipeline.train(TrainConfig(data=(data,), epochs=1), tmp_path / "m")
    message = str(exc.value)
    assert "all went to validation" in message and "left out there: 1 too short for transcript" in message


def test_validation_rows_left_out_are_logged(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    data = sine_manifest(tmp_path, 1.0, 3)
    val = tmp_path / "val"
    val.mkdir()
    held = sine_manifest(val, 2.0, 1)
    cfg = TrainConfig(
        data=(data,), val_data=(held,), epochs=1, hidden=8, layers=1, max_seconds=1.5, workers=0
    )
    with caplog.at_level("WARNING", logger="carrousel.speech.pipeline.training"):
        pipeline.train(cfg, tmp_path / "model")
    said = [r.getMessage() for r in caplog.records if r.name == "carrousel.speech.pipeline.training"]
    assert "left out of validation: 1 too long" in said, said  # before: silently
