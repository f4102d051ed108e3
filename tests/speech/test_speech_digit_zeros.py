"""'oh' and 'zero' are one word in digit strings when scoring (as TIDIGITS scoring counts them).

Before: references were normalised with "zero" only ("room 101" -> "room one zero one") while the model says
"oh" for 0 in digit strings: a right "room one oh one" scored WER 0.25."""

from __future__ import annotations

import pytest

from carrousel.speech.metrics import error_rates, score_utterance, zeros_as_said


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("room 101", "room one oh one"),
        ("room one zero one", "room one oh one"),
        ("call oh seven", "call zero seven"),
        ("007", "oh oh seven"),
        ("0", "oh"),  # a TIDIGITS utterance of one digit
        ("zero", "oh"),
    ],
)
def test_oh_and_zero_score_as_one_word_in_digit_strings(reference: str, hypothesis: str) -> None:
    score = score_utterance("a.wav", reference, hypothesis)
    assert score.wer == 0.0 and score.cer == 0.0, score
    assert score.hypothesis == score.reference == hypothesis  # shown as said
    assert error_rates([score]).wer == 0.0


def test_oh_beside_no_digit_word_stays_a_word() -> None:
    from carrousel.speech.metrics import digit_zeros

    assert digit_zeros("oh no oh") == "oh no oh"
    assert digit_zeros("oh oh") == "oh oh"
    assert digit_zeros("room one oh one oh no") == "room one zero one zero no"
    score = score_utterance("a.wav", "oh no", "zero no")
    assert score.substitutions == 1  # an exclamation is not a digit
    year = score_utterance("a.wav", "1905", "nineteen oh five")
    assert (year.wer, year.reference) == (0.0, "nineteen oh five")
    wrong = score_utterance("a.wav", "room 101", "room one oh two")
    assert (wrong.substitutions, wrong.reference) == (1, "room one oh one")


def test_a_references_oh_stays_oh_where_the_transcript_says_no_zero() -> None:
    """TIDIGITS references say "oh"; where the transcript says neither "oh" nor "zero" there, the reference
    shown and scored keeps its "oh". Before, it was rewritten "zero", so its character errors grew (CER on
    ``sample:tidigits`` 0.385 -> 0.401, the WER unchanged)."""
    assert zeros_as_said("oh six nine", "o six nine") == "oh six nine"
    assert zeros_as_said("three five oh", "three five") == "three five oh"
    assert zeros_as_said("three five oh", "three five zero") == "three five zero"  # as said, scored one word
