"""The vocabulary of the shipped recogniser and random utterance texts for corpus synthesis.

Four kinds of utterance: digit strings (``"two nine three four zero"``, zero also read ``"oh"``),
numbers in words (``"three hundred and twelve"``), spelled letters (``"b"``, ``"x y z"``, spoken by
name: ``"bee"``, ``"ex why zee"``) and commands (the 35 words of Speech Commands v2 and common device
commands, alone or in short phrases). :func:`random_utterance` returns the transcript (what a
recogniser should write) and the text a synthesiser reads (letters spelled out as their names).
"""

from __future__ import annotations

import random

from carrousel.speech.text import number_words

__all__ = [
    "COMMANDS",
    "DIGITS",
    "KINDS",
    "LETTER_NAMES",
    "LONE_NUMBERS",
    "VOCABULARY",
    "random_utterance",
    "short_number",
]

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
"""Spoken digits; ``"oh"`` also stands for zero in digit strings."""

LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "a": ("ay",),
    "b": ("bee",),
    "c": ("see",),
    "d": ("dee",),
    "e": ("ee",),
    "f": ("eff",),
    "g": ("gee",),
    "h": ("aitch", "haitch"),
    "i": ("eye",),
    "j": ("jay",),
    "k": ("kay",),
    "l": ("ell",),
    "m": ("em",),
    "n": ("en",),
    "o": ("oh",),
    "p": ("pee",),
    "q": ("queue",),
    "r": ("are", "ar"),
    "s": ("ess",),
    "t": ("tee",),
    "u": ("you",),
    "v": ("vee",),
    "w": ("double you",),
    "x": ("ex",),
    "y": ("why",),
    "z": ("zee", "zed"),
}
"""How each letter is read aloud (American and British names where they differ)."""

SPEECH_COMMANDS = [
    "backward",
    "bed",
    "bird",
    "cat",
    "dog",
    "down",
    "eight",
    "five",
    "follow",
    "forward",
    "four",
    "go",
    "happy",
    "house",
    "learn",
    "left",
    "marvin",
    "nine",
    "no",
    "off",
    "on",
    "one",
    "right",
    "seven",
    "sheila",
    "six",
    "stop",
    "three",
    "tree",
    "two",
    "up",
    "visual",
    "wow",
    "yes",
    "zero",
]
DEVICE_COMMANDS = [
    "start",
    "cancel",
    "pause",
    "play",
    "next",
    "previous",
    "back",
    "open",
    "close",
    "enter",
    "select",
    "help",
    "repeat",
    "call",
    "answer",
    "volume",
    "mute",
    "louder",
    "quieter",
    "faster",
    "slower",
    "turn",
    "move",
    "lights",
    "music",
    "menu",
    "home",
    "okay",
    "again",
]
COMMANDS = tuple(sorted(set(SPEECH_COMMANDS) | set(DEVICE_COMMANDS)))
"""Command words: Speech Commands v2 (35 words) and common device commands."""

_PHRASES = (
    ("go", "stop", "turn", "move"),
    ("up", "down", "left", "right", "forward", "backward", "back", "on", "off", "home"),
)
# the teens and tens as number_words says them (one list of English number words: carrousel.speech.spoken)
_NUMBER_WORDS = (
    *(number_words(n) for n in (*range(10, 20), *range(20, 100, 10))),
    *("hundred", "thousand", "million", "and", "point", "minus", "oh"),
)
_TEENS, _TENS, _SCALES = _NUMBER_WORDS[:10], _NUMBER_WORDS[10:18], _NUMBER_WORDS[18:21]
LONE_NUMBERS = (*DIGITS, "oh", *_TEENS, *_TENS, *_SCALES, "minus")
"""Number words said alone by :func:`short_number` (the words of a prompt set such as Asterisk's)."""
VOCABULARY = tuple(sorted(set(DIGITS) | set(COMMANDS) | set(_NUMBER_WORDS) | set(LETTER_NAMES)))
"""Every word a transcript of the synthetic corpus can hold (letters as single characters)."""

KINDS = ("digits", "numbers", "letters", "commands")
"""Utterance kinds :func:`random_utterance` draws from."""


def _digits(rng: random.Random) -> tuple[str, str]:
    n = rng.choice((1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 7, 10))
    zero = rng.choice(("zero", "oh", "oh"))
    words = [zero if d == 0 else DIGITS[d] for d in (rng.randrange(10) for _ in range(n))]
    text = " ".join(words)
    return text, text


def _numbers(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.35:
        n = rng.randrange(10, 100)
    elif r < 0.7:
        n = rng.randrange(100, 1000)
    elif r < 0.9:
        n = rng.randrange(1000, 100_000)
    else:
        n = rng.randrange(100_000, 10_000_000)
    text = number_words(n, use_and=rng.random() < 0.5)
    if rng.random() < 0.05:
        text = "minus " + text
    elif rng.random() < 0.05:
        text += " point " + " ".join(DIGITS[rng.randrange(10)] for _ in range(rng.randint(1, 2)))
    return text, text


def _letters(rng: random.Random) -> tuple[str, str]:
    n = rng.choice((1, 1, 1, 1, 2, 3, 4, 5))
    letters = [rng.choice(tuple(LETTER_NAMES)) for _ in range(n)]
    spoken = [rng.choice(LETTER_NAMES[c]) for c in letters]
    return " ".join(letters), ", ".join(spoken) if rng.random() < 0.5 else " ".join(spoken)


def _commands(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.6:
        text = rng.choice(COMMANDS)
    elif r < 0.85:
        text = f"{rng.choice(_PHRASES[0])} {rng.choice(_PHRASES[1])}"
    elif r < 0.93:
        text = f"{rng.choice(COMMANDS)} {rng.choice(DIGITS[1:])}"
    else:
        text = " ".join(rng.choice(COMMANDS) for _ in range(rng.randint(2, 3)))
    return text, text


def short_number(rng: random.Random) -> str:
    """A number said alone in one or two words, for ``speech synth-corpus --lone-share``.

    A lone number word of :data:`LONE_NUMBERS` (``"two"``, ``"seventeen"``, ``"hundred"``, ``"oh"``) 60%
    of the time, else two words: ``"twenty one"`` (half of those), ``"five hundred"`` (30%) or
    ``"minus three"`` (20%). The corpus's digit strings and numbers are otherwise longer phrases, so a
    model trained without these reads a short lone word as a spelled letter.
    """
    if rng.random() < 0.6:
        return rng.choice(LONE_NUMBERS)
    r = rng.random()
    if r < 0.5:
        return f"{rng.choice(_TENS)} {rng.choice(DIGITS[1:])}"
    if r < 0.8:
        return f"{rng.choice(DIGITS[1:])} {rng.choice(_SCALES)}"
    return f"minus {rng.choice((*DIGITS[1:], *_TEENS, *_TENS))}"


_MAKERS = {"digits": _digits, "numbers": _numbers, "letters": _letters, "commands": _commands}
_WEIGHTS = {"digits": 0.3, "numbers": 0.15, "letters": 0.25, "commands": 0.3}


def random_utterance(rng: random.Random, kinds: tuple[str, ...] = KINDS) -> tuple[str, str, str]:
    """A random utterance of one of ``kinds`` (digits 30%, numbers 15%, letters 25%, commands 30%).

    Returns:
        ``(kind, transcript, spoken)``: the transcript a recogniser should write, and the text a speech
        synthesiser reads (the same words, letters spelled out by name).
    """
    kind = rng.choices(kinds, weights=[_WEIGHTS[k] for k in kinds])[0]
    transcript, spoken = _MAKERS[kind](rng)
    return kind, transcript, spoken
