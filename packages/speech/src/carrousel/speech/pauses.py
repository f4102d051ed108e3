"""Utterances with pauses inside: groups of words synthesised apart and joined by silence.

Every utterance the synthesiser writes is otherwise one synthesiser call: no silence inside it beyond the
voice's own. A recogniser trained only on those drops the first sound of the word after a pause (espeak-ng
"one two three", 0.8 s, "stop" read greedy ``one two threetop``; ``benchmarks/bench_speech_pauses.py``).
Here a sentence is 2-4 groups, each a corpus utterance cut to 1-3 words (:func:`pause_groups`), said one
by one and joined by 0.3-1.0 s of digital silence (:func:`join_with_pauses`). ``speech synth-corpus
--pause-share`` writes a share of its speech rows so (the channel and noise drawn for the row then fill the
pauses as they fill the rest), and the benchmark writes its ``paused`` set so.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from carrousel.core.args import check_args
from carrousel.speech.vocab import KINDS, random_utterance

__all__ = ["GROUPS", "GROUP_WORDS", "PAUSE_SECONDS", "join_with_pauses", "pause_group", "pause_groups"]

PAUSE_SECONDS = (0.3, 1.0)  # shortest and longest pause between two groups, s
GROUPS = (2, 4)  # fewest and most groups of a sentence
GROUP_WORDS = 3  # most words of a group (letters and numbers are cut to 1..3 words)


def pause_group(rng: random.Random, kinds: tuple[str, ...] = KINDS) -> tuple[str, str, str]:
    """One group: a corpus utterance of ``kinds`` cut to 1-3 words.

    Args:
        rng: draws the utterance and its cut.
        kinds: utterance kinds to draw from (:data:`carrousel.speech.vocab.KINDS`).

    Returns:
        ``(kind, transcript, spoken)``, as :func:`carrousel.speech.vocab.random_utterance`. Utterances
        whose spoken words are not the transcript's word for word (a number said in more words) are kept
        whole.
    """
    kind, transcript, spoken = random_utterance(rng, kinds)
    words, said = transcript.split(), spoken.split()
    if len(words) == len(said):  # letters are spelled by name word for word; numbers as written
        n = rng.randint(1, min(GROUP_WORDS, len(words)))
        return kind, " ".join(words[:n]), " ".join(said[:n])
    return kind, transcript, spoken


@check_args
def pause_groups(
    rng: random.Random, kinds: tuple[str, ...] = KINDS, most: int = GROUPS[1]
) -> list[tuple[str, str, str]]:
    """The 2-4 groups of one sentence with pauses (:func:`pause_group` each).

    Args:
        rng: draws the number of groups, then each group.
        kinds: utterance kinds to draw from.
        most: most groups of the sentence, ``GROUPS[0]..GROUPS[1]`` (2 keeps every sentence at 2 groups,
            nearer the length of an utterance said in one breath); the default draws as before.

    Returns:
        ``[(kind, transcript, spoken), ...]``; the sentence's transcript is the transcripts joined by spaces.
    """
    if not GROUPS[0] <= most <= GROUPS[1]:
        raise ValueError(f"most must be in {GROUPS[0]}..{GROUPS[1]}, got {most}")
    return [pause_group(rng, kinds) for _ in range(rng.randint(GROUPS[0], most))]


@check_args
def join_with_pauses(
    parts: Sequence[np.ndarray],
    rate: int,
    rng: np.random.Generator,
    seconds: tuple[float, float] = PAUSE_SECONDS,
) -> np.ndarray:
    """The parts in order with a pause of digital silence between each two.

    Args:
        parts: mono audio of each group, each ``(samples,)``, at ``rate``.
        rate: sample rate, Hz.
        rng: draws each pause's length, uniform in ``seconds``, in order.
        seconds: shortest and longest pause, s.

    Returns:
        ``(samples,)``: the parts and their pauses (float32 when the parts are).
    """
    out: list[np.ndarray] = []
    for k, part in enumerate(parts):
        if k:
            out.append(np.zeros(round(float(rng.uniform(*seconds)) * rate), dtype=np.float32))
        out.append(part)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
