"""From per-frame character log-probabilities to words with timestamps, confidences and N-best lists.

Greedy decoding is :func:`carrousel.core.decode.ctc_greedy_decode`; beam decoding is
:func:`carrousel.core.decode.ctc_prefix_beam_search` with a scorer (:class:`WordScorer`) that adds,
as the beam extends a prefix by one character:

* at a word end (a space), the word LM's ``ln p(word | previous words)`` times ``lm_weight`` plus a
  word insertion bonus;
* for a word outside the LM's vocabulary, the same plus an OOV penalty, charged as soon as the partial
  word stops being a prefix of any LM word (its LM score is then the ``<unk>`` one whatever follows), so
  the beam weighs it at once rather than at its end;
* a run of consecutive OOV words is charged once, with its first word: the LM knows nothing of unknown
  words, so it must not decide where the spaces inside such a run fall (charging each word made two
  unknown words glued into one cheaper than the two, and the beam dropped spaces it clearly heard);
* for hotwords, a bonus per character of the longest hotword prefix the text ends with (taken back
  when the match breaks, kept when the hotword completes).

Runs of frames where the blank is near certain are collapsed to their first frame before the beam
search (:func:`_informative_frames`). The beam's candidates are then rescored with the complete sentence (its last word and the sentence
end included) and sorted. Characters are grouped into words; a word's times are its first and last
characters' frames (forced alignment for beam results) and its confidence the geometric mean of its
characters' posteriors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.decode import CTCResult, ctc_forced_align, ctc_greedy_decode, ctc_prefix_beam_search
from carrousel.speech.config import DecodeConfig
from carrousel.speech.lm import EOS, WordLM
from carrousel.speech.text import Alphabet, normalize

__all__ = [
    "BLANK_SURE",
    "NBEST_WIDEN",
    "WORD_PAUSE",
    "Hypothesis",
    "Word",
    "WordScorer",
    "decode",
    "start_at_sound",
    "unusable_hotwords",
]

BLANK_SURE = 0.999  # beam search skips all but the first frame of runs where the blank is this sure
NBEST_WIDEN = 8  # N-best: the beam is doubled up to this many times its width to find N distinct texts
# seconds between two characters that always end a word: after a long silence the network often emits no
# space (trained on utterances with at most 1 s of pause), and "two" [20 s] "seven" came out "twoseven"
WORD_PAUSE = 1.0


@dataclass(frozen=True)
class Word:
    """One recognised word."""

    word: str  # the word
    start: float  # seconds from the start of the recording
    end: float  # seconds
    confidence: float  # geometric mean of its characters' posteriors, in [0, 1]


@dataclass(frozen=True)
class Hypothesis:
    """One transcription candidate."""

    text: str  # the words, space separated
    score: float  # ranking score: acoustic log-probability plus LM, bonuses and hotwords
    log_prob: float  # acoustic log-probability (best path for greedy, summed paths for beam)
    words: tuple[Word, ...]  # words with times and confidences


def unusable_hotwords(hotwords: Sequence[str], alphabet: Alphabet) -> dict[str, str]:
    """The hotwords a model with ``alphabet`` can never output, each with the reason: nothing is left
    after :func:`normalize`, or characters outside the model's units. :class:`WordScorer` ignores them
    (the pipeline warns once per run)."""
    chars = set("".join(alphabet.symbols[2:]))
    bad: dict[str, str] = {}
    for word in hotwords:
        text = normalize(word)
        missing = sorted(set(text) - chars - {" "})
        if not text or missing:
            bad[word] = (
                f"{''.join(missing)!r} not in its alphabet" if missing else "nothing left once normalised"
            )
    return bad


class WordScorer:
    """The beam search's scorer hook: word LM, lexicon penalty, word bonus and hotwords.

    Args:
        alphabet: the model's alphabet (to turn label prefixes into text).
        config: weights and hotwords.
        lm: a word n-gram model, or None.
    """

    def __init__(self, alphabet: Alphabet, config: DecodeConfig, lm: WordLM | None) -> None:
        self.alphabet, self.config, self.lm = alphabet, config, lm
        unusable = unusable_hotwords(config.hotwords, alphabet)
        self.hotwords = tuple(normalize(w) for w in config.hotwords if w not in unusable)
        self._texts: dict[tuple[int, ...], str] = {(): ""}

    def _text(self, prefix: tuple[int, ...]) -> str:
        text = self._texts.get(prefix)
        if text is None:
            text = self._text(prefix[:-1]) + self.alphabet.symbols[prefix[-1]]
            self._texts[prefix] = text
        return text

    def hotword_bonus(self, text: str) -> float:
        """Bonus of ``text``: completed hotword occurrences plus the hotword prefix it ends with."""
        if not self.hotwords:
            return 0.0
        words = f" {text}"
        done = sum(len(h) * words.count(f" {h} ") for h in self.hotwords)
        tail = max(
            (k for h in self.hotwords for k in range(len(h), 0, -1) if words.endswith(" " + h[:k])), default=0
        )
        return self.config.hotword_weight * (done + tail)

    def _word_score(self, history: Sequence[str], word: str) -> float:
        """Score of ``word`` after ``history``: LM, bonus and OOV penalty, or 0.0 when it continues a run
        of words outside the LM's vocabulary (the run is charged once, with its first word)."""
        bonus = self.config.word_bonus
        if self.lm is None:
            return bonus
        oov = word not in self.lm.vocab
        if oov and history and history[-1] not in self.lm.vocab:
            return 0.0
        score = self.config.lm_weight * self.lm.logprob(["<s>", *history], word) + bonus
        return score - (self.config.oov_penalty if oov else 0.0)

    def __call__(self, prefix: tuple[int, ...], label: int) -> float:
        old = self._text(prefix)
        new = old + self.alphabet.symbols[label]
        score = self.hotword_bonus(new) - self.hotword_bonus(old)
        if label == self.alphabet.space:
            words = old.split()
            ends = bool(words) and not old.endswith(" ")
            if ends and (self.lm is None or words[-1] in self.lm.prefixes):  # else charged leaving the tree
                score += self._word_score(words[:-1], words[-1])
        elif self.lm is not None:
            head, _, partial = new.rpartition(" ")
            before = old.rpartition(" ")[2]
            if partial not in self.lm.prefixes and (before in self.lm.prefixes or not before):
                score += self._word_score(head.split(), partial)  # now sure to be OOV: charged in full
        return score

    def final_score(self, text: str) -> float:
        """LM (to the sentence end), bonuses, penalties and hotwords of a complete transcription."""
        words = text.split()
        score = self.hotword_bonus(text + " ") + sum(
            self._word_score(words[:i], w) for i, w in enumerate(words)
        )
        if self.lm is not None:
            score += self.config.lm_weight * self.lm.logprob(["<s>", *words], EOS)
        return score


def _words(result: CTCResult, alphabet: Alphabet, frame_seconds: float, offset: float) -> tuple[Word, ...]:
    words: list[Word] = []
    chars: list[int] = []

    def close() -> None:
        if chars:
            idx = chars
            conf = math.exp(sum(math.log(max(result.confidences[i], 1e-12)) for i in idx) / len(idx))
            words.append(
                Word(
                    "".join(alphabet.symbols[result.labels[i]] for i in idx),
                    round(offset + result.start_frames[idx[0]] * frame_seconds, 3),
                    round(offset + (result.end_frames[idx[-1]] + 1) * frame_seconds, 3),
                    round(min(max(conf, 0.0), 1.0), 4),
                )
            )
            chars.clear()

    for i, label in enumerate(result.labels):
        if label == alphabet.space:
            close()
        else:
            chars.append(i)
    close()
    return tuple(words)


@check_args
def start_at_sound(words: Sequence[Word], sounds: Sequence[tuple[float, float]]) -> tuple[Word, ...]:
    """``words`` timed from the sound they are heard in.

    Audio trimmed to its sound keeps a margin of silence before it (:func:`carrousel.speech.audio.
    speech_bounds`), and the network emits a word's first letter at the first frame it is given: the first
    word was timed up to that margin (0.3 s) early. Each of ``sounds`` is ``(cut, onset)``: the trimmed
    audio starts at ``cut`` seconds, its sound at ``onset``; a word starting in ``[cut, onset)`` starts at
    ``onset``; one also ending there (one letter) moves to it whole, its length kept (up to the next word).
    """
    out = []
    for i, w in enumerate(words):
        onset = next((on for cut, on in sounds if cut <= w.start < on), None)
        start = round(onset, 3) if onset is not None else w.start
        if onset is None or w.end > start:
            out.append(replace(w, start=start))
            continue
        # all of it in the margin ("j" at 0.03-0.03 s, its sound at 0.26 s): moved whole, up to the next word
        after = words[i + 1].start if i + 1 < len(words) else math.inf
        out.append(replace(w, start=start, end=max(start, min(round(start + w.end - w.start, 3), after))))
    return tuple(out)


def decode(
    log_probs: np.ndarray,
    alphabet: Alphabet,
    config: DecodeConfig,
    frame_seconds: float,
    lm: WordLM | None = None,
    offset: float = 0.0,
    sound_start: float | None = None,
) -> list[Hypothesis]:
    """Decodes one utterance's ``(T, C)`` log-probabilities.

    Args:
        log_probs: per-frame log-probabilities over the alphabet (class 0 the blank).
        alphabet: the model's alphabet.
        config: greedy or beam, LM weights, hotwords, N-best.
        frame_seconds: seconds per output frame (for timestamps).
        lm: the word LM, when ``config.lm`` names one (loaded by the caller once).
        offset: seconds added to every timestamp (the chunk's start in a long recording).
        sound_start: seconds from the first frame to where the sound starts, for features trimmed to a
            margin before it: a character at the first frame (the early first letter the network emits
            there) is kept with the next one only when that one starts within :data:`WORD_PAUSE` of the
            sound. None: always (features that start in a silence of unknown length).

    Returns:
        Up to ``config.nbest`` hypotheses with distinct texts: first the best of a beam of ``config.width``
        (asking for more alternatives at one beam width never changes the transcript), then the others by score. Beam
        prefixes that differ only in spaces (``"w"``, ``"w "``) are one text once trimmed, so a beam as
        wide as N often holds fewer than N distinct texts: when it does, the search is run again with the
        beam doubled, up to :data:`NBEST_WIDEN` times ``config.width`` (at least ``4 * nbest``, at most
        512), and its new texts are added. Fewer come back only when even that search finds no more
        (a recording of one or two frames has few possible texts).
    """
    if log_probs.shape[0] == 0:
        return [Hypothesis("", 0.0, 0.0, ())]
    if not config.uses_beam:
        best = ctc_greedy_decode(log_probs, blank=alphabet.blank)[0]
        best = _split_at_pauses(_trim(best, alphabet), alphabet, frame_seconds, sound_start)
        text = alphabet.decode(best.labels)
        return [Hypothesis(text, best.log_prob, best.log_prob, _words(best, alphabet, frame_seconds, offset))]
    scorer = WordScorer(alphabet, config, lm)
    kept = _informative_frames(log_probs, alphabet.blank)
    lp = log_probs[kept]
    ranked = _search(lp, alphabet, config, scorer, config.width)
    first = next(iter(ranked))  # the transcript is the user's beam's, whatever a wider search adds
    width = config.width
    while len(ranked) < config.nbest and width < _widest(config):
        width = min(2 * width, _widest(config))
        for other, found in _search(lp, alphabet, config, scorer, width).items():
            ranked.setdefault(other, found)
    order = [first, *sorted((t for t in ranked if t != first), key=lambda t: -ranked[t][0])]
    out: list[Hypothesis] = []
    for shown in order:
        if len(out) == config.nbest:
            break
        score, r = ranked[shown]
        aligned = _align(lp, r, alphabet)
        aligned = CTCResult(
            aligned.labels,
            aligned.log_prob,
            aligned.score,
            kept[aligned.start_frames].tolist(),
            kept[aligned.end_frames].tolist(),
            aligned.confidences,
        )
        aligned = _split_at_pauses(aligned, alphabet, frame_seconds, sound_start)
        text = alphabet.decode(aligned.labels) if aligned.start_frames else shown
        if any(h.text == text for h in out):  # "twoseven" split at its pause is "two seven" again
            continue
        out.append(Hypothesis(text, score, r.log_prob, _words(aligned, alphabet, frame_seconds, offset)))
    return out


def _widest(config: DecodeConfig) -> int:
    """The widest beam tried to find ``config.nbest`` distinct transcripts (see :func:`decode`)."""
    return min(512, max(NBEST_WIDEN * config.width, 4 * config.nbest))


def _search(
    lp: np.ndarray, alphabet: Alphabet, config: DecodeConfig, scorer: WordScorer, width: int
) -> dict[str, tuple[float, CTCResult]]:
    """Prefix beam search of ``width`` over ``(T, C)`` log-probs: each distinct transcript (spaces
    trimmed) with its best sentence score and result, best first."""
    results = ctc_prefix_beam_search(
        lp,
        beam_size=width,
        blank=alphabet.blank,
        n_best=max(config.nbest, min(width, 16)),
        min_log_prob=config.prune,
        scorer=scorer,
        align=False,
    )
    ranked: dict[str, tuple[float, CTCResult]] = {}
    for r in results:
        trimmed = _trim(r, alphabet)
        text = alphabet.decode(trimmed.labels)
        score = r.log_prob + scorer.final_score(text)
        if text not in ranked or score > ranked[text][0]:
            ranked[text] = (score, trimmed)
    return dict(sorted(ranked.items(), key=lambda kv: -kv[1][0]))


def _informative_frames(log_probs: np.ndarray, blank: int) -> np.ndarray:
    """Indices of the frames the beam search needs: each run of frames whose blank is near certain
    (p > BLANK_SURE) is kept as its first frame only. CTC output is mostly such runs (pauses, and the
    frames between characters), so this makes the beam several times faster; a run still separates
    repeated characters, and the paths it drops carry almost no probability."""
    sure = log_probs[:, blank] > np.log(BLANK_SURE)
    keep = ~sure | np.r_[True, ~sure[:-1]]
    return np.flatnonzero(keep)


def _trim(result: CTCResult, alphabet: Alphabet) -> CTCResult:
    """Drops leading, trailing and doubled spaces (with their frames) from a result."""
    keep = [
        i
        for i, lab in enumerate(result.labels)
        if lab != alphabet.space
        or (0 < i < len(result.labels) - 1 and result.labels[i - 1] != alphabet.space)
    ]
    while keep and result.labels[keep[-1]] == alphabet.space:
        keep.pop()
    if len(keep) == len(result.labels):
        return result

    def pick(values: list) -> list:  # type: ignore[type-arg]
        return [values[i] for i in keep] if values else []

    return CTCResult(
        pick(result.labels),
        result.log_prob,
        result.score,
        pick(result.start_frames),
        pick(result.end_frames),
        pick(result.confidences),
    )


def _split_at_pauses(
    result: CTCResult, alphabet: Alphabet, frame_seconds: float, sound_start: float | None = None
) -> CTCResult:
    """``result`` with a space between two characters more than :data:`WORD_PAUSE` apart (a word ends
    at a long silence even when the network emitted no space there); unchanged without frames. A first
    character at the first frame is kept with what follows: given features that begin in a long silence
    (``--no-trim``, a click before it), the network emits the first letter of the first word there. With
    ``sound_start`` (:func:`decode`) only while what follows starts within WORD_PAUSE of the sound: a
    word read as that letter alone was glued to the next one said seconds later (``g`` + ``sheila``)."""
    gap = WORD_PAUSE / frame_seconds
    sound = None if sound_start is None else sound_start / frame_seconds
    labels, starts, ends, confs = [], [], [], []
    for i, label in enumerate(result.labels):
        if (
            i
            and result.start_frames
            and label != alphabet.space
            and result.labels[i - 1] != alphabet.space
            and result.start_frames[i] - result.end_frames[i - 1] - 1 >= gap
            and not (
                i == 1
                and result.start_frames[0] == 0
                and (sound is None or result.start_frames[1] - sound < gap)
            )
        ):
            labels.append(alphabet.space)
            starts.append(result.end_frames[i - 1] + 1)
            ends.append(result.start_frames[i] - 1)
            confs.append(1.0)
        labels.append(label)
        if result.start_frames:
            starts.append(result.start_frames[i])
            ends.append(result.end_frames[i])
            confs.append(result.confidences[i])
    if len(labels) == len(result.labels):
        return result
    return CTCResult(labels, result.log_prob, result.score, starts, ends, confs)


def _align(log_probs: np.ndarray, result: CTCResult, alphabet: Alphabet) -> CTCResult:
    """Frames and confidences of a beam result by forced alignment (the labels stay as they are)."""
    if not result.labels:
        return result
    try:
        return ctc_forced_align(log_probs, result.labels, alphabet.blank)
    except ValueError:  # cannot align (never for labels the beam found); keep times empty
        n = len(result.labels)
        return CTCResult(result.labels, result.log_prob, result.score, [0] * n, [0] * n, [0.0] * n)
