"""Long recordings read in chunks report their progress: before, ``speech transcribe`` of ONE long recording
(a 4-hour file took minutes) showed nothing until the transcript; the bar was only for several files.

The library calls a per-chunk callback with the seconds done; only the CLI draws a bar (on stderr, in seconds
of audio), and stdout is the same with and without it."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import sys
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from rich.console import Console

from carrousel.core import cli as core_cli
from carrousel.speech import pipeline
from carrousel.speech.cli import main
from carrousel.speech.config import TranscribeConfig
from carrousel.speech.longform import Progress, _chunk_log_probs
from tests.speech.conftest import make_tone
from tests.speech.test_speech_recognizer import tiny

SECONDS = 12.3  # six chunks of 2 s and a bit


def test_each_chunk_reports_increasing_positions_ending_at_the_length(write_wav, tone) -> None:
    path = str(write_wav("long.wav", tone(SECONDS, 8000), 8000))
    calls: list[tuple[float, float]] = []
    (t,) = tiny().transcribe_files([path], chunk_seconds=2.0, on_chunk=lambda p, s: calls.append((p, s)))
    positions = [p for p, _ in calls]
    assert len(positions) >= 6, calls  # one per chunk of 2 s
    assert all(a < b for a, b in itertools.pairwise(positions)), positions
    assert positions[0] > 0 and positions[-1] == pytest.approx(SECONDS)
    assert [s for _, s in calls] == [pytest.approx(SECONDS)] * len(calls) and t.seconds == pytest.approx(
        SECONDS
    )


def test_short_files_report_no_chunks(write_wav, tone) -> None:
    paths = [str(write_wav(f"{i}.wav", tone(1.0 + i))) for i in range(2)]
    calls: list[tuple[float, float]] = []
    got = list(tiny().transcribe_files(paths, chunk_seconds=2.0, on_chunk=lambda p, s: calls.append((p, s))))
    assert len(got) == 2 and calls == []


def _bars() -> tuple[list[tuple[str, float | None, float]], Progress]:
    """A recording ``progress`` factory: each bar's description, total and the sum of its advances."""
    bars: list[tuple[str, float | None, float]] = []

    @contextlib.contextmanager
    def progress(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
        moved = [0.0]
        yield lambda n: moved.__setitem__(0, moved[0] + n)
        bars.append((description, total, moved[0]))

    return bars, progress


def test_the_pipeline_bar_counts_seconds_for_one_long_file_files_for_several(write_wav, tone) -> None:
    long = str(write_wav("long.wav", tone(SECONDS, 8000), 8000))
    short = [str(write_wav(f"{i}.wav", tone(1.0))) for i in range(2)]
    cfg, rec = TranscribeConfig(chunk_seconds=2.0), tiny()
    for paths, want in (
        ([long], [("transcribing (s of audio)", SECONDS, SECONDS)]),
        (short, [("transcribing", 2.0, 2.0)]),
        ([short[0]], []),  # one short file: no bar
    ):
        bars, progress = _bars()
        pipeline.transcribe(cfg, paths, progress, recognizer=rec)
        assert [(d, pytest.approx(t), pytest.approx(m)) for d, t, m in bars] == want, paths


def _speech(capsys, monkeypatch, terminal: bool, *args: str) -> tuple[int, str, str]:
    screen = Console(file=io.StringIO(), force_terminal=terminal, width=100, color_system=None)
    monkeypatch.setattr(core_cli, "stderr", screen)
    monkeypatch.setattr(sys, "argv", ["speech", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out, _ = capsys.readouterr()
    return int(done.value.code or 0), out, screen.file.getvalue()  # type: ignore[attr-defined]


def test_the_cli_draws_a_bar_for_one_long_file_and_stdout_is_unchanged(
    capsys, monkeypatch, write_wav, tone, tmp_path
) -> None:
    rec = tiny()
    model = str(rec.save(tmp_path / "model"))
    long = str(write_wav("long.wav", tone(SECONDS, 8000), 8000))
    args = ["transcribe", "--model", model, "--chunk-seconds", "2", long]
    code, with_bar, drawn = _speech(capsys, monkeypatch, True, *args)
    assert code == 0 and "transcribing (s of audio)" in drawn and "12/12" in drawn, drawn
    code, without, plain = _speech(capsys, monkeypatch, False, *args)  # a pipe: no bar
    assert code == 0 and with_bar == without and "transcribing" not in plain
    code, quiet, hushed = _speech(capsys, monkeypatch, True, *args, "-q")  # --quiet: no bar
    assert code == 0 and quiet == with_bar and "transcribing" not in hushed
    code, json_out, drawn = _speech(capsys, monkeypatch, True, *args, "--json")  # JSON on stdout only
    assert (
        code == 0 and len(json.loads(json_out)["transcripts"]) == 1 and "transcribing (s of audio)" in drawn
    )


def test_the_cli_draws_no_bar_for_one_short_file(capsys, monkeypatch, write_wav, tone, tmp_path) -> None:
    model = str(tiny().save(tmp_path / "model"))
    short = str(write_wav("short.wav", tone(1.0)))
    code, _, drawn = _speech(capsys, monkeypatch, True, "transcribe", "--model", model, short)
    assert code == 0 and "transcribing" not in drawn, drawn


def test_a_trimmed_chunk_has_the_untrimmed_chunks_frame_count() -> None:
    """A chunk trimmed to its sound is padded with blank frames for the silence either side. The two
    paddings were rounded apart, so about a quarter of chunks came out one frame longer or shorter than
    the untrimmed chunk (on main 18 of these 84 silences); now always the same count, the sound's frames
    where the untrimmed chunk has them and the padding blank."""
    r = tiny()
    counts = []
    for lead in np.arange(0.0, 1.0, 0.037):
        for tail in (0.0, 0.37, 0.5111):
            x = np.concatenate(
                [np.zeros(int(lead * 16000)), make_tone(1.0, freq=300.0), np.zeros(int(tail * 16000) + 7)]
            ).astype(np.float32)
            trimmed, whole = _chunk_log_probs(r, x, True)[0], _chunk_log_probs(r, x, False)[0]
            counts.append((len(trimmed), len(whole)))
            blank = round(max(0.0, lead - 0.3) / r.frame_seconds)  # the silence before the 0.3 s margin
            assert (trimmed[: max(0, blank - 1), 0] == 0.0).all()
    assert [t for t, _ in counts] == [w for _, w in counts]


@pytest.mark.parametrize("trim", [True, False])
def test_a_long_recordings_frames_are_its_own_count_whatever_the_chunk(
    monkeypatch, write_wav, tone, trim
) -> None:
    """Each chunk's part of the frames was rounded from the chunk's own start: a 2 s chunk of 66.7 frames
    gave 67, so a 12.3 s recording decoded 412 frames for its 410 (word times 0.01 s later a chunk)."""
    import carrousel.speech.longform as longform

    decoded: list[int] = []
    real_decode = longform.decode
    monkeypatch.setattr(
        longform, "decode", lambda lp, *a, **k: decoded.append(len(lp)) or real_decode(lp, *a, **k)
    )
    x = tone(SECONDS) * (np.arange(int(SECONDS * 16000)) % 32000 < 16000)  # 1 s of sound, 1 s of silence
    r = tiny()
    (t,) = r.transcribe_files(
        [str(write_wav("long.wav", x.astype(np.float32)))], chunk_seconds=2.0, trim=trim
    )
    whole = int(r.model.output_lengths(torch.tensor([r.extractor.num_frames(len(x))]))[0])
    assert sum(decoded) == whole and t.seconds == pytest.approx(SECONDS)
