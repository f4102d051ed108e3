"""An empty text argument (``nlp translate run ""``: an unset ``"$TEXT"``) is a usage error: exit 2 and one
line naming the argument and the fix, before any model is loaded. On main ``nlp sentiment predict ""`` and
``nlp translate run ""`` loaded the model and exited 1 ("input: text 1 is empty..."), and ``speech transcribe
--hotword ""`` turned beam search on for a hotword it then ignored with a warning (exit 0). ``nlp generate
run --prompt ""`` stays valid: an empty prompt is its default (generate from a new line)."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hardening.conftest import Outcome, assert_clean_failure

FIX = "give the text or leave it out"


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        ([""], "an empty text"),
        (["good", "  "], "a text of whitespace only"),
        (["\u200b"], "a text of invisible characters only ('\\u200b')"),
    ],
)
@pytest.mark.parametrize("command", [("sentiment", "predict"), ("translate", "run")])
def test_a_blank_text_argument_is_a_usage_error(
    invoke: Callable[..., Outcome], tmp_path: Path, command: tuple[str, str], texts: list[str], problem: str
) -> None:
    """The translate model does not exist: the texts are refused before it is looked for."""
    model = ["--model", str(tmp_path / "no-model")] if command[0] == "translate" else []
    outcome = invoke("nlp", *command, *model, *texts)
    assert_clean_failure(outcome, 2, f"Invalid value for 'TEXTS': {problem}")
    assert f"; {FIX}; see 'nlp {' '.join(command)} --help'" in outcome.error_lines()[0]


def test_an_empty_hotword_is_a_usage_error(invoke: Callable[..., Outcome], tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(16_000)))
    outcome = invoke("speech", "transcribe", "--hotword", "box", "--hotword", "", wav)
    assert_clean_failure(outcome, 2, f"Invalid value for '--hotword': an empty text; {FIX}")
