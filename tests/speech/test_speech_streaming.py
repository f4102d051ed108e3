"""``speech stream`` of a long recording: before, every partial update held the whole text so far, rebuilt
from every frame at each chunk (a 20-minute file wrote 3,746 stderr lines, each the entire transcript: output
and work quadratic in the length), and ``--json`` showed nothing until the end. Now the greedy path grows by
each chunk's new frames only, a partial holds the current segment (at most SEGMENT_WORDS words), a closed
segment is reported once, the final transcript is still decoded once from every frame, and ``--json`` has a
bar in seconds of audio on stderr (a terminal) with pure JSON on stdout."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from carrousel.speech import streaming
from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import decode
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.text import ENGLISH
from tests.speech.test_speech_longform import _speech
from tests.speech.test_speech_recognizer import tiny


def scripted(pause_every: int) -> tuple[Recognizer, list[np.ndarray]]:
    """A streaming recogniser whose network says "the cat " over and over (two frames per character), with
    a pause of 40 blank frames after every ``pause_every`` words (0: never); the frames it gave, kept."""
    r = tiny(bidirectional=False, normalize="causal")
    chars = [ENGLISH.space if ch == " " else ENGLISH.encode(ch)[0] for ch in "the cat "]
    word_frames = [x for c in chars for x in (c, c)]  # a repeat, collapsed by CTC
    script: list[int] = []
    for w in range(4000):
        script += word_frames
        if pause_every and (w + 1) % pause_every == 0:
            script += [0] * (streaming.GreedyStream(ENGLISH, r.frame_seconds).pause_frames + 5)
    given: list[np.ndarray] = []
    real = r.model.stream

    def stream(x: torch.Tensor, state: object) -> tuple[torch.Tensor, object]:
        lp, state = real(x, state)  # type: ignore[arg-type]
        done = sum(len(g) for g in given)
        labels = torch.tensor(script[done : done + lp.shape[1]])
        out = torch.full_like(lp, -10.0)
        out[0, torch.arange(lp.shape[1]), labels] = 0.0
        given.append(out[0].numpy())
        return out, state

    r.model.stream = stream  # type: ignore[method-assign]
    return r, given


@pytest.mark.parametrize("pause_every", [0, 3])
def test_partials_stay_bounded_and_the_final_text_is_the_full_decode(monkeypatch, pause_every) -> None:
    r, given = scripted(pause_every)
    pushed: list[int] = []
    push = streaming.GreedyStream.push
    monkeypatch.setattr(
        streaming.GreedyStream, "push", lambda self, lp: (pushed.append(len(lp)), push(self, lp))[1]
    )
    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 60).astype(np.float32)  # a minute
    step = 5120
    updates = list(r.stream(audio[i : i + step] for i in range(0, len(audio), step)))
    *partials, final = updates
    whole = np.concatenate(given)
    assert final.final and final.text == decode(whole, ENGLISH, DecodeConfig(), r.frame_seconds)[0].text
    assert final.text.startswith("the cat the cat") and len(final.text.split()) > 100
    # bounded: no partial holds more than one segment, however long the text so far
    assert max(len(p.text.split()) for p in partials) <= streaming.SEGMENT_WORDS
    assert sum(len(g) for g in given) == sum(pushed)  # each frame decoded once, by the chunk that brought it
    assert max(pushed) == max(len(g) for g in given)
    closed = [p.text for p in partials if p.segment_end]
    assert len(closed) > 5  # pauses (every 3 "the cat"s) or the word cap (no pause) close segments
    if pause_every:
        assert all(t == " ".join(["the cat"] * pause_every) for t in closed)  # one per pause
    rest = partials[-1].text if not partials[-1].segment_end else ""
    assert " ".join([*closed, rest]).strip() == final.text  # each closed segment once, in order


def test_greedy_stream_collapses_a_repeat_across_the_chunk_boundary() -> None:
    g = streaming.GreedyStream(ENGLISH, 0.04)
    a = ENGLISH.encode("a")[0]
    eye = np.full((4, ENGLISH.size), -10.0, np.float32)
    eye[[0, 1, 2, 3], [a, a, 0, a]] = 0.0
    assert g.push(eye[:1]) == ([], True) and g.push(eye[1:2]) == ([], False)  # "a" | "a": one a
    assert g.push(eye[2:]) == ([], True) and g.text == "aa"  # a blank between: two


def test_json_is_pure_with_a_bar_on_a_terminal(capsys, monkeypatch, write_wav, tone, tmp_path) -> None:
    model = str(tiny(bidirectional=False, normalize="causal").save(tmp_path / "model"))
    wav = str(write_wav("a.wav", tone(3.0)))
    code, out, drawn = _speech(capsys, monkeypatch, True, "stream", "--model", model, "--json", wav)
    assert code == 0 and "streaming (s of audio)" in drawn, drawn
    doc = json.loads(out)
    assert doc["final"]["final"] and doc["final"]["time"] == pytest.approx(3.0)
    code, piped, plain = _speech(capsys, monkeypatch, False, "stream", "--model", model, "--json", wav)
    assert code == 0 and json.loads(piped) == doc and "streaming" not in plain  # a pipe: no bar


def test_json_partials_carry_the_run_precision(capsys, monkeypatch, write_wav) -> None:
    # before: only the final update said it; every partial had "precision": null, "trained_precision": null
    from carrousel.speech.pipeline import transcription

    r, _ = scripted(3)
    monkeypatch.setattr(transcription, "load_model", lambda model, device: r)
    noise = np.random.default_rng(0).normal(0, 0.1, 16000 * 5).astype(np.float32)
    wav = str(write_wav("a.wav", noise))
    code, out, _ = _speech(capsys, monkeypatch, False, "stream", "--model", "m", "--json", wav)
    assert code == 0
    doc = json.loads(out)
    assert doc["partials"] and any(p["segment_end"] for p in doc["partials"])
    for update in [*doc["partials"], doc["final"]]:
        assert (update["trained_precision"], update["precision"]) == ("fp32", "fp32"), update
