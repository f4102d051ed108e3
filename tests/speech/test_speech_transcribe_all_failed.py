"""``speech transcribe a.wav b.wav`` where every file fails ended "3 of 3 files could not be transcribed
(...); the warnings above say why, the others were transcribed": there were no others. The line now says
none was transcribed; with one good file among them it still says the others were."""

from __future__ import annotations

import sys

import pytest

from carrousel.speech.cli import main


def _speech(capsys, monkeypatch, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["speech", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0), capsys.readouterr().err


def test_a_batch_where_every_file_fails_says_none_was_transcribed(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = [str(tmp_path / f"{n}.wav") for n in "ab"]
    code, err = _speech(capsys, monkeypatch, "transcribe", *missing)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: 2 of 2 files could not be transcribed") and last.endswith(
        "none was transcribed"
    )
    assert "the others" not in last


def test_a_batch_with_a_good_file_still_says_the_others_were(
    capsys, monkeypatch, tmp_path, write_wav, tone
) -> None:  # type: ignore[no-untyped-def]
    good = write_wav("a.wav", tone(0.7))
    code, err = _speech(capsys, monkeypatch, "transcribe", "-q", str(good), str(tmp_path / "gone.wav"))
    assert code == 1 and err.strip().splitlines()[-1].endswith("the others were transcribed")
