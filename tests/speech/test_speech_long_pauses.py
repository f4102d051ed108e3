"""Words after a long silence: the network emits no space across a pause much longer than its training
utterances' (at most 1 s) and emits the first letter of what follows at the first frame it is given.

Before: "two" [20 s of room noise] "seven" came out as one word ``twoseven`` (or ``twoeven``) timed over
the whole pause, in a short file and in a long one read in chunks; and a long recording starting with 2 s
of silence had its first word timed from 0 s (its first letter emitted at the chunk's first frame), the
``s`` of a word after a pause across a chunk boundary dropped with the chunk's context frames."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.speech.audio import speech_bounds
from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import WORD_PAUSE, Word, decode
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.text import ENGLISH
from tests.speech.test_speech_decoding import frames

FRAME = 0.03
PAUSE = ["_"] * (int(WORD_PAUSE / FRAME) + 2)  # a little over WORD_PAUSE of blank frames
TWO_SEVEN = frames("t", "w", "o", *PAUSE, "s", "e", "v", "e", "n")


@pytest.mark.parametrize("beam", [1, 4])
def test_a_long_pause_between_letters_ends_the_word(beam: int) -> None:
    (hyp,) = decode(TWO_SEVEN, ENGLISH, DecodeConfig(beam=beam), frame_seconds=FRAME)
    assert hyp.text == "two seven"
    assert [w.word for w in hyp.words] == ["two", "seven"]
    two, seven = hyp.words
    assert two.end == pytest.approx(3 * FRAME) and seven.start == pytest.approx((3 + len(PAUSE)) * FRAME)


def test_a_short_pause_keeps_the_word() -> None:
    short = frames("t", "w", "o", *PAUSE[: len(PAUSE) // 3], "s")
    (hyp,) = decode(short, ENGLISH, DecodeConfig(), frame_seconds=FRAME)
    assert hyp.text == "twos"


def _with_pauses(said: np.ndarray, starts: list[float], seconds: float) -> np.ndarray:
    y = np.zeros(int(seconds * 16000), np.float32)
    for s in starts:
        y[int(s * 16000) : int(s * 16000) + len(said)] += said
    return y + 1e-3 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)  # room noise


def test_words_either_side_of_a_long_pause_stay_apart(said, write_wav) -> None:
    path = str(write_wav("pause.wav", _with_pauses(said, [0.5, 22.0], 24.0)))
    (t,) = Recognizer.from_pretrained().transcribe_files([path], chunk_seconds=30.0)
    assert t.text == "seven three nine two seven three nine two"
    assert all(w.end - w.start < 1.0 for w in t.words), t.words


def test_a_long_recording_times_its_first_word_where_it_is_said(said, write_wav) -> None:
    path = str(write_wav("long.wav", _with_pauses(said, [2.0, 7.5], 12.0)))
    (t,) = Recognizer.from_pretrained().transcribe_files([path], chunk_seconds=4.0)
    assert t.text == "seven three nine two seven three nine two"
    first = t.words[0]
    assert first.word == "seven" and 1.6 <= first.start < 2.1, t.words  # said at 2.0 s; before: 0.0


def test_nbest_texts_stay_distinct_once_split_at_pauses() -> None:
    # the beam holds "two seven" (a space said in the pause) and "twoseven" (none): split, both read
    # "two seven", listed twice before this check
    pause = PAUSE[: len(PAUSE) // 2]
    lp = frames("t", "w", "o", *pause, {" ": 0.3}, *pause, "s", "e", "v", "e", "n")
    hyps = decode(lp, ENGLISH, DecodeConfig(beam=8, nbest=3), frame_seconds=FRAME)
    texts = [h.text for h in hyps]
    assert texts[0] == "two seven" and len(set(texts)) == len(texts) == 3, texts


@pytest.mark.parametrize("beam", [1, 4])
def test_a_first_letter_at_the_first_frame_stays_with_its_word(beam: int) -> None:
    # features starting in a long silence (--no-trim, a click at 0 s): the network emits the "s" of
    # "seven" at the first frame; split there, "seven" read "s even"
    lp = frames("s", *PAUSE, "e", "v", "e", "n", *PAUSE, "t", "w", "o")
    (hyp,) = decode(lp, ENGLISH, DecodeConfig(beam=beam), frame_seconds=FRAME)
    assert hyp.text == "seven two"


def test_speech_after_a_click_and_a_pause_reads_as_one_word(said, write_wav) -> None:
    y = _with_pauses(said, [1.5], 4.0)
    y[100] = 0.9  # a click (a switched-on microphone) at 6 ms
    (t,) = Recognizer.from_pretrained().transcribe_files([str(write_wav("click.wav", y))])
    assert t.text == "seven three nine two"


@pytest.mark.parametrize(("lead", "chunk"), [(0.2, 30.0), (0.6, 30.0), (1.5, 30.0), (2.0, 4.0), (5.0, 4.0)])
def test_a_trimmed_recordings_first_word_starts_at_its_sound(said, write_wav, lead, chunk) -> None:
    # trimmed to its sound with a 0.3 s margin of silence before it (speech_bounds), a file's features
    # start in that margin and the network emits the "s" of "seven" at their first frame: the word was
    # timed up to 0.3 s before its sound (0.2 s lead: at 0.0 s; 0.6 s: 0.31 s), in a short file and in a
    # chunk of a long one (5.0 s with chunks of 4 s: in the second chunk's part)
    y = _with_pauses(said, [lead], lead + 3.0 if chunk > 10 else 12.0)
    sound = speech_bounds(y, 16000, margin=0.0)[0] / 16000
    (t,) = Recognizer.from_pretrained().transcribe_files([str(write_wav("x.wav", y))], chunk_seconds=chunk)
    assert t.text.startswith("seven three nine two")
    assert sound - 0.02 <= t.words[0].start <= sound + 0.1, (sound, t.words[0])


@pytest.mark.parametrize(("lead", "chunk"), [(0.8, 30.0), (1.5, 30.0), (2.0, 4.0)])
def test_an_untrimmed_recordings_first_word_starts_at_its_sound(said, write_wav, lead, chunk) -> None:
    # --no-trim: the features start at 0 s, in the silence before the sound, and the network emits the "s"
    # of "seven" at their first frame; the word was timed from 0.0 s (0.0-2.3 s for a sound at 1.5 s), in a
    # short file and in the first chunk of a long one, as trimmed ones were before start_at_sound
    y = _with_pauses(said, [lead], lead + 3.0 if chunk > 10 else 12.0)
    sound = speech_bounds(y, 16000, margin=0.0)[0] / 16000
    rec = Recognizer.from_pretrained()
    (t,) = rec.transcribe_files([str(write_wav("x.wav", y))], chunk_seconds=chunk, trim=False)
    assert t.text.startswith("seven three nine two")
    assert sound - 0.02 <= t.words[0].start <= sound + 0.1, (sound, t.words[0])


def test_start_at_sound_moves_only_words_begun_in_the_margin() -> None:
    from carrousel.speech.decoding import start_at_sound

    words = [Word("a", 0.0, 0.2, 1.0), Word("seven", 0.5, 0.9, 1.0), Word("two", 1.0, 1.3, 1.0)]
    moved = start_at_sound(words, [(0.4, 0.7), (1.2, 1.5)])
    assert [(w.start, w.end) for w in moved] == [(0.0, 0.2), (0.7, 0.9), (1.0, 1.3)]
    # a word wholly in the margin (one letter at the first frame) moves to the sound with its length; it was
    # left at its end, before its sound and 0 s long (0.15-0.15)
    (x,) = start_at_sound([Word("x", 0.1, 0.15, 1.0)], [(0.0, 0.3)])
    assert (x.start, x.end) == (0.3, 0.35)
    a, b = start_at_sound([Word("a", 0.0, 0.03, 1.0), Word("b", 0.3, 0.5, 1.0)], [(0.0, 0.28)])
    assert (a.start, a.end, b.start) == (0.28, 0.3, 0.3)  # up to the next word's start: still ordered


@pytest.mark.parametrize("before", [0.5, 4.5])
@pytest.mark.parametrize("after", [0.05, 0.15, 0.25])
def test_a_word_said_just_after_a_chunks_start_keeps_its_first_letter(said, write_wav, before, after) -> None:
    # said 0.05-0.25 s after a chunk's start (8 s, chunks of 4 s) after a pause: the chunk's audio is
    # trimmed to start 0.3 s before the sound and the network emits the "s" of "seven" there, before the
    # chunk's part. The part before emitted it only when its own audio was trimmed there too (nothing said
    # since 0.5 s): "seven" timed 0.3 s early (main: 7.74 s for 8.05 s); when it heard speech earlier
    # (said at 4.5 s), its "s" came after 8 s: in no part, main read "even" (or "ven")
    own = speech_bounds(said, 16000, margin=0.0)[0] / 16000  # espeak's own silence before the sound
    y = _with_pauses(said, [before, 8.0 + after - own], 12.0)
    sound = speech_bounds(y[7 * 16000 :], 16000, margin=0.0)[0] / 16000 + 7.0
    assert 8.0 <= sound < 8.3, sound
    (t,) = Recognizer.from_pretrained().transcribe_files([str(write_wav("edge.wav", y))], chunk_seconds=4.0)
    assert t.text == "seven three nine two seven three nine two", t.words
    assert sound - 0.02 <= t.words[4].start <= sound + 0.1, (sound, t.words[4])


@pytest.mark.parametrize("starts", [[1.2], [5.2], [0.3, 7.0]])
def test_a_short_chunk_never_cuts_a_word_from_its_early_first_letter(said, write_wav, starts) -> None:
    # a 2 s chunk starting in silence, its sound 1-1.3 s in: the network emits the "s" of "seven" at the
    # trimmed audio's first frame, 0.3 s before the sound, then blank frames to it. Only 1 s of frames is
    # searched for the longest blank run to cut at, and that run was the one after the "s": main read
    # "s even three nine two" (the walk's "t hree", "s ix" too)
    own = speech_bounds(said, 16000, margin=0.0)[0] / 16000  # espeak's own silence before the sound
    y = _with_pauses(said, [s - own for s in starts], starts[-1] + 4.0)
    (t,) = Recognizer.from_pretrained().transcribe_files([str(write_wav("short.wav", y))], chunk_seconds=2.0)
    assert t.text == " ".join(["seven three nine two"] * len(starts)), t.words


@pytest.mark.parametrize("beam", [1, 4])
def test_an_early_first_letter_joins_no_word_said_long_after_its_sound(beam: int) -> None:
    # features trimmed to 0.3 s before a sound: the network emitted the "g" of a word there and nothing else
    # of it; "sheila", said 2 s later, was read "gsheila" (a first letter at the first frame always stayed)
    margin = ["_"] * 10  # 0.3 s: the sound starts at frame 10
    late = frames("g", *margin, *PAUSE, *PAUSE[:20], "s", "h", "e", "i", "l", "a")
    (hyp,) = decode(late, ENGLISH, DecodeConfig(beam=beam), FRAME, sound_start=10 * FRAME)
    assert hyp.text == "g sheila"
    # its own word, said at the sound, still keeps it; and without a known sound (--no-trim) as before
    (own,) = decode(TWO_SEVEN[3:], ENGLISH, DecodeConfig(beam=beam), FRAME, sound_start=len(PAUSE) * FRAME)
    assert own.text == "seven" and decode(late, ENGLISH, DecodeConfig(beam=beam), FRAME)[0].text == "gsheila"


def test_a_long_recording_splits_an_early_letter_from_a_word_seconds_later(write_wav, monkeypatch) -> None:
    # a recording in 4 s chunks: a word said at 4.2 s, read by the network as only its "g" at the trimmed
    # chunk's first frame (0.3 s before its sound, as it emits a first letter), then "sheila" at 6.5 s.
    # Before: the frames from that trimmed start were decoded as one piece, "gsheila" from 3.9 to 6.7 s
    from carrousel.speech import longform
    from tests.speech.test_speech_recognizer import tiny

    rec, rate = tiny(), 16000
    y = 1e-3 * np.random.default_rng(0).standard_normal(12 * rate).astype(np.float32)
    for at in (4.2, 6.5):
        y[int(at * rate) : int((at + 0.3) * rate)] += 0.3 * np.sin(np.arange(int(0.3 * rate)) / 3)
    path = str(write_wav("gap.wav", y))
    fs, index = rec.frame_seconds, {s: i for i, s in enumerate(ENGLISH.symbols)}
    at: list[int] = []
    chunks = longform.iter_chunks
    monkeypatch.setattr(
        longform, "iter_chunks", lambda *a: ((at.append(s), (s, x))[1] for s, x in chunks(*a))
    )

    def scripted(recognizer: Recognizer, x: np.ndarray, trim: bool) -> tuple[np.ndarray, int, float]:
        begin, end, onset = longform.sound_span(x, rate, trim)
        n = recognizer.extractor.num_frames(len(x)) // recognizer.model.subsample
        lp = np.full((n, ENGLISH.size), -30.0, np.float32)
        lp[:, 0] = 0.0
        lead = round(begin / rate / fs)
        said = [(lead, "g")] if (begin, end) != (0, len(x)) else []  # the early letter
        said += [(round((6.5 - at[-1] / rate) / fs) + 2 * k, c) for k, c in enumerate("sheila")]
        for t, c in said:
            if 0 <= t < n:
                lp[t, 0], lp[t, index[c]] = -30.0, 0.0
        return lp, lead, onset

    monkeypatch.setattr(longform, "_chunk_log_probs", scripted)
    (t,) = rec.transcribe_files([path], chunk_seconds=4.0)
    assert t.text == "g sheila", t.words
