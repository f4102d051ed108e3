"""``speech transcribe a.wav b.wav`` where every file fails ended "3 of 3 files could not be transcribed
(...); the warnings above say why, the others were transcribed": there were no others. The line now says
none was transcribed; with one good file among them it still says the others were."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli_harness import Outcome


def test_a_batch_where_every_file_fails_says_none_was_transcribed(
    invoke: Callable[..., Outcome], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    missing = [str(tmp_path / f"{n}.wav") for n in "ab"]
    done = invoke("speech", "transcribe", *missing)
    assert done.code == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 2 of 2 files could not be transcribed") and last.endswith(
        "none was transcribed"
    )
    assert "the others" not in last


def test_a_batch_with_a_good_file_still_says_the_others_were(
    invoke: Callable[..., Outcome], tmp_path, write_wav, tone
) -> None:  # type: ignore[no-untyped-def]
    good = write_wav("a.wav", tone(0.7))
    done = invoke("speech", "transcribe", "-q", str(good), str(tmp_path / "gone.wav"))
    assert done.code == 1 and done.stderr.strip().splitlines()[-1].endswith("the others were transcribed")
