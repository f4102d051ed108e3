"""Negation augmentation for sentiment training: labelled sentence pairs where a negation flips polarity.

A sentiment model trained on ordinary review sentences sees too few negations to learn what "not" does:
the shipped BiLSTM read "not bad at all" and "never boring" as negative. This module builds short,
labelled sentences from a sentiment lexicon (VADER's, Hutto & Gilbert 2014, MIT: a word's mean rating
by 10 raters on -4..4), each as a contrastive pair: the plain statement with the word's polarity
("the film was boring.": negative) and its negation with the opposite polarity ("the film wasn't
boring.": positive). Words enter only when the given corpus uses them the way the templates do:
adjectives after a copula or degree adverb ("was boring", "very good"), verbs after "to" ("to
recommend"). The labels come from the rule, not from raters, so the pairs are a training aid, never an
evaluation set (``tests/nlp/data/negation.csv`` holds hand-written sentences for that).
"""

from __future__ import annotations

import random
import re
import tarfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.nlp.errors import TextDataError

__all__ = ["negation_pairs", "read_vader_lexicon"]

LEXICON_MEMBER = "hutto_ICWSM_2014/vader_sentiment_lexicon.txt"
SUBJECTS = (
    "the movie",
    "the film",
    "the story",
    "the acting",
    "it",
    "this one",
    "the product",
    "the camera",
    "the meal",
    "the room",
    "the service",
    "the game",
    "the song",
    "the experience",
    "the article",
    "the idea",
)
COPULAS = (("is", "is not", "isn't", "is never"), ("was", "was not", "wasn't", "was never"))
DEGREES = ("", "", "really ", "very ", "so ", "that ")  # "not that good"
TAILS = ("", "", " at all")  # only after a negation
VERB_SUBJECTS = ("i", "we", "you")
VERB_NEGATIONS = ("don't", "do not", "didn't", "won't", "wouldn't", "never", "can't")
_ADJ_CUES = r"\b(?:very|so|too|really|quite|pretty|extremely) ([a-z]+)\b"  # a degree adverb, then the word
_INFINITIVE = r"\bto ([a-z]+)\b"
_VERB_CUES = r"\b(?:i|we|you|they) ([a-z]+) (?:it|this|that|them|the|my|your|his|her|their)\b"  # "i love it"


def read_vader_lexicon(archive: str | Path) -> dict[str, float]:
    """VADER's lexicon ``{token: mean rating on -4..4}`` from the vaderSentiment source archive
    (sample ``nlp.vader_ratings``).

    Raises:
        TextDataError: the archive holds no lexicon.
    """
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile(LEXICON_MEMBER)
            if member is None:
                raise KeyError(LEXICON_MEMBER)
            text = member.read().decode("latin-1")
    except (OSError, tarfile.TarError, KeyError) as exc:
        raise TextDataError(
            f"{archive} holds no VADER lexicon ({exc}); use the vaderSentiment archive"
        ) from None
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out


def _used(corpus: Iterable[str], words: set[str], cues: str, min_count: int) -> set[str]:
    pattern = re.compile(cues)
    seen: Counter[str] = Counter()
    for text in corpus:
        seen.update(w for w in pattern.findall(text.lower()) if w in words)
    return {w for w, n in seen.items() if n >= min_count}


@check_args
def negation_pairs(
    lexicon: dict[str, float],
    corpus: Iterable[str],
    pairs: int,
    seed: int = 0,
    min_rating: float = 1.0,
    min_count: int = 2,
) -> list[tuple[str, str]]:
    """``2 * pairs`` labelled sentences ``(text, "positive" | "negative")``: plain statements and their
    negations, half built on adjectives and half on verbs (as far as the corpus yields them).

    Args:
        lexicon: ``{word: mean rating}`` (:func:`read_vader_lexicon`); words rated ``|r| >= min_rating``.
        corpus: texts that show how words are used (the training sentences).
        pairs: pairs to draw (at random, without repeating a sentence).
        seed: the draw's seed.
        min_rating: weakest rating of a word used.
        min_count: times the corpus must use a word after a cue ("was", "very", "to", ...).

    Raises:
        TextDataError: the corpus uses no lexicon word as the templates need.
    """
    words = {w for w, r in lexicon.items() if w.isalpha() and abs(r) >= min_rating and not w.endswith("ly")}
    texts = list(corpus)
    graded = _used(texts, words, _ADJ_CUES, min_count)  # "very good", "really love"
    base = _used(texts, words, _INFINITIVE, min_count)  # "to love": a verb's base form
    verbs = sorted(_used(texts, words, _VERB_CUES, min_count) & base)  # "i love it" and "to love"
    adjectives = sorted(graded - set(verbs))
    if not adjectives and not verbs:
        raise TextDataError("no lexicon word occurs in the corpus after a copula or 'to'; pass more texts")
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def label(positive: bool) -> str:
        return "positive" if positive else "negative"

    tries = 0
    while len(out) < 2 * pairs and tries < 50 * pairs:
        tries += 1
        use_verb = bool(verbs) and (not adjectives or rng.random() < 0.5)
        if use_verb:
            word = rng.choice(verbs)
            subject = rng.choice(VERB_SUBJECTS)
            obj = rng.choice(("it", "this", "them", "the film", "the product", "this place", "the book"))
            plain = f"{subject} {word} {obj}."
            negated = f"{subject} {rng.choice(VERB_NEGATIONS)} {word} {obj}."
        else:
            word = rng.choice(adjectives)
            subject = rng.choice(SUBJECTS)
            be = rng.choice(COPULAS)
            degree = rng.choice(DEGREES)
            plain = f"{subject} {be[0]} {degree or ''}{word}."
            negated = f"{subject} {rng.choice(be[1:])} {degree}{word}{rng.choice(TAILS)}."
            if rng.random() < 0.25:  # fragments: "not bad at all", "never boring"
                negated = f"{rng.choice(('not', 'never', 'not really'))} {word}{rng.choice(TAILS)}"
        if plain in seen or negated in seen:
            continue
        seen.update((plain, negated))
        positive = lexicon[word] > 0
        out += [
            (plain[0].upper() + plain[1:], label(positive)),
            (negated[0].upper() + negated[1:], label(not positive)),
        ]
    rng.shuffle(out)
    return out
