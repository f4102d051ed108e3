"""Decoding: greedy words with times and confidences; beam search with a word LM, hotwords and N-best."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carrousel.speech.config import DecodeConfig
from carrousel.speech.decoding import WordScorer, decode, unusable_hotwords
from carrousel.speech.errors import LanguageModelError
from carrousel.speech.lm import EOS, WordLM, load_lm
from carrousel.speech.text import ENGLISH


def frames(*steps: dict[str, float] | str) -> np.ndarray:
    """``(T, C)`` log-probs: each step a ``{char: prob}`` dict (rest on the blank) or ``"_"`` for a blank."""
    lp = np.full((len(steps), ENGLISH.size), 1e-6)
    index = {s: i for i, s in enumerate(ENGLISH.symbols)}
    for t, step in enumerate(steps):
        probs = {} if step == "_" else ({step: 0.98} if isinstance(step, str) else step)
        for ch, p in probs.items():
            lp[t, index[ch]] = p
        lp[t, 0] = max(1e-6, 1.0 - sum(probs.values()))
    return np.log(lp / lp.sum(axis=1, keepdims=True))


def word(text: str) -> list[str]:
    return [c if c != " " else " " for c in text]


# "go bex": the middle letter of the second word leans to "e" (0.55) over "o" (0.40)
AMBIGUOUS = frames("g", "_", "o", "_", " ", "b", "_", {"e": 0.55, "o": 0.40}, "_", "x", "_")


def test_greedy_words_times_and_confidence() -> None:
    (hyp,) = decode(AMBIGUOUS, ENGLISH, DecodeConfig(), frame_seconds=0.02, offset=1.0)
    assert hyp.text == "go bex"
    assert [w.word for w in hyp.words] == ["go", "bex"]
    go, bex = hyp.words
    assert (go.start, go.end) == (1.0, 1.06) and (bex.start, bex.end) == (1.1, 1.2)
    assert go.confidence > 0.97 and 0.7 < bex.confidence < 0.9  # the weak "e" lowers the word's confidence


def test_beam_without_lm_agrees_with_greedy() -> None:
    (hyp,) = decode(AMBIGUOUS, ENGLISH, DecodeConfig(beam=8, word_bonus=0.0), 0.02)
    assert hyp.text == "go bex"
    assert hyp.words[1].start == pytest.approx(0.1)  # times from forced alignment


def test_word_lm_changes_the_result(tmp_path) -> None:
    text = tmp_path / "lm.txt"
    text.write_text("go box\nopen the box\ngo box now\nthe box\n", encoding="utf-8")
    cfg = DecodeConfig(beam=8, lm=str(text), lm_weight=1.0)
    (hyp,) = decode(AMBIGUOUS, ENGLISH, cfg, 0.02, lm=load_lm(text))
    assert hyp.text == "go box"


def test_hotword_changes_the_result() -> None:
    (plain,) = decode(AMBIGUOUS, ENGLISH, DecodeConfig(beam=8), 0.02)
    (boosted,) = decode(AMBIGUOUS, ENGLISH, DecodeConfig(beam=8, hotwords=("box",), hotword_weight=1.0), 0.02)
    assert (plain.text, boosted.text) == ("go bex", "go box")
    (other,) = decode(AMBIGUOUS, ENGLISH, DecodeConfig(beam=8, hotwords=("bird",), hotword_weight=1.0), 0.02)
    assert other.text == "go bex"  # a hotword that does not fit the audio leaves it alone


def test_nbest() -> None:
    hyps = decode(AMBIGUOUS, ENGLISH, DecodeConfig(beam=8, nbest=2), 0.02)
    assert [h.text for h in hyps] == ["go bex", "go box"]
    assert hyps[0].score >= hyps[1].score


def test_nbest_widens_the_beam_for_distinct_texts() -> None:
    """A beam of 3 holds "w", "w " and "wu"; "w " trims to "w", so the beam had 2 texts for 3 asked.
    The search is widened until it finds 3 distinct ones; the first stays the beam of 3's best."""
    lp = frames({"w": 0.9}, {" ": 0.45, "u": 0.2}, "_")
    hyps = decode(lp, ENGLISH, DecodeConfig(beam=3, nbest=3), 0.02)
    assert [h.text for h in hyps] == ["w", "wu", "u"]
    assert hyps[0].text == decode(lp, ENGLISH, DecodeConfig(beam=3), 0.02)[0].text
    assert hyps[1].score >= hyps[2].score
    few = frames({" ": 0.3, "w": 0.6}, {"w": 0.6, " ": 0.3}, {" ": 0.4}, "_")  # only "w" and "" can be read
    assert [h.text for h in decode(few, ENGLISH, DecodeConfig(beam=3, nbest=3), 0.02)] == ["w", ""]


def test_empty_and_blank_only() -> None:
    assert decode(np.zeros((0, ENGLISH.size)), ENGLISH, DecodeConfig(), 0.02)[0].text == ""
    assert decode(frames("_", "_"), ENGLISH, DecodeConfig(beam=4), 0.02)[0].text == ""


def test_kneser_ney_is_normalised() -> None:
    lm = WordLM.from_sentences(["go left", "go right", "turn left now", "stop"], order=3)
    vocab = sorted(lm.vocab | {EOS})
    for history in (["<s>"], ["<s>", "go"], ["go", "left"], ["nothing"]):
        total = sum(math.exp(lm.logprob(history, w)) for w in vocab)
        assert 0.9 < total <= 1.0 + 1e-9
    assert lm.logprob(["<s>", "go"], "left") > lm.logprob(["<s>", "go"], "now")


def test_arpa_file(tmp_path) -> None:
    arpa = tmp_path / "tiny.arpa"
    arpa.write_text(
        "\\data\\\nngram 1=4\nngram 2=1\n\n\\1-grams:\n-1.0 <s> -0.5\n-0.5 yes -0.3\n-0.7 no\n-0.6 </s>\n\n"
        "\\2-grams:\n-0.2 <s> yes\n\n\\end\\\n",
        encoding="utf-8",
    )
    lm = load_lm(arpa)
    assert lm.order == 2
    assert lm.logprob(["<s>"], "yes") == pytest.approx(-0.2 * math.log(10))
    assert lm.logprob(["<s>"], "no") == pytest.approx((-0.5 - 0.7) * math.log(10))  # back-off
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\n\\1-grams:\nnot a number\n", encoding="utf-8")
    with pytest.raises(LanguageModelError, match="line 3"):
        load_lm(bad)
    for value in ("nan no", "-1.0 no nan", "inf no"):  # read as numbers by float(): were accepted
        bad.write_text(f"\\data\\\n\\1-grams:\n-1.0 yes\n{value}\n", encoding="utf-8")
        with pytest.raises(LanguageModelError, match="line 4"):
            load_lm(bad)
    bad.write_text("\\data\\\n\\1-grams:\n-1.0 yes\n-inf no\n", encoding="utf-8")  # probability 0
    assert load_lm(bad).order == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("!!!\n", encoding="utf-8")
    with pytest.raises(LanguageModelError, match="no words"):
        load_lm(empty)


def test_subword_units_decode_to_words_with_times_and_lm() -> None:
    """Multi-character units: greedy and beam give the same words and times; the word LM still picks
    the word it knows when the acoustics waver between two pieces."""
    from carrousel.speech.text import Alphabet

    units = Alphabet.from_texts(["three seven", "seven three", "three three"] * 4, subwords=40)
    assert {"three", "seven"} <= set(units.symbols)
    index = {s: i for i, s in enumerate(units.symbols)}
    steps = ["three", "_", " ", "_", {"seven": 0.5, "s": 0.45}, "_", "_"]
    lp = np.full((len(steps), units.size), 1e-6)
    for t, step in enumerate(steps):
        probs = {} if step == "_" else ({step: 0.98} if isinstance(step, str) else step)
        for piece, p in probs.items():
            lp[t, index[piece]] = p
        lp[t, 0] = max(1e-6, 1.0 - sum(probs.values()))
    lp = np.log(lp / lp.sum(axis=1, keepdims=True))
    (greedy,) = decode(lp, units, DecodeConfig(), frame_seconds=0.1)
    assert greedy.text == "three seven" and [w.word for w in greedy.words] == ["three", "seven"]
    assert greedy.words[1].start == pytest.approx(0.4)
    lm = WordLM.from_sentences(["three seven", "seven three"], order=2)
    best = decode(lp, units, DecodeConfig(beam=4, nbest=2), frame_seconds=0.1, lm=lm)
    assert best[0].text == "three seven" and [w.word for w in best[0].words] == ["three", "seven"]


def test_unknown_words_are_not_glued_together(tmp_path) -> None:
    """Two words outside the LM's vocabulary with a clear space between them stay two words (each OOV
    word was charged the LM's <unk> score and the OOV penalty, so the glued "zapvum" was cheaper than
    "zap vum" and won); with no space heard they stay one, so the acoustics decide the boundary."""
    arpa = tmp_path / "tiny.arpa"  # no <unk> entry: an unknown word gets a tenth of the rarest word's p
    arpa.write_text(
        "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0 <s>\n-0.5 go\n-0.7 box\n-0.6 </s>\n\n\\end\\\n",
        encoding="utf-8",
    )
    spaced = frames("z", "_", "a", "_", "p", "_", {" ": 0.9}, "_", "v", "_", "u", "_", "m", "_")
    glued = frames("z", "_", "a", "_", "p", "_", "_", "_", "v", "_", "u", "_", "m", "_")
    for lm in (WordLM.from_sentences(["go box", "open the box"], order=2), load_lm(arpa)):
        for weight in (0.5, 1.0):
            cfg = DecodeConfig(beam=8, lm_weight=weight)
            assert decode(spaced, ENGLISH, cfg, 0.02, lm=lm)[0].text == "zap vum"
            assert decode(glued, ENGLISH, cfg, 0.02, lm=lm)[0].text == "zapvum"
    lm = WordLM.from_sentences(["go box", "open the box"], order=2)  # known words around one unknown
    around = frames(
        "g", "_", "o", "_", " ", "_", "z", "_", "a", "_", "p", "_", " ", "b", "_", "o", "_", "x", "_"
    )
    assert decode(around, ENGLISH, DecodeConfig(beam=8), 0.02, lm=lm)[0].text == "go zap box"


TINY_ARPA = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0 <s>\n-0.5 go\n-0.7 box\n-0.6 </s>\n\n\\end\\\n"


def test_a_clear_word_outside_an_arpa_without_unk_is_kept(tmp_path) -> None:
    """An ARPA file without <unk> gave an unknown word a fixed ln p of -20, far below its own words
    (here ln p >= -1.6), so a clearly spoken "vum" (each letter at 0.95) cost more than dropping it and
    "go vum" came out "go". Now an unknown word gets a tenth of the rarest word's probability (log10
    -1.7): the word is kept, and the LM still corrects a word the acoustics are unsure of ("bex")."""
    arpa = tmp_path / "tiny.arpa"
    arpa.write_text(TINY_ARPA, encoding="utf-8")
    lm = load_lm(arpa)
    assert lm.logprob(["<s>", "go"], "vum") == pytest.approx((-0.7 - 1.0) * math.log(10))
    clear = frames("g", "_", "o", "_", {" ": 0.95}, "_", {"v": 0.95}, "_", {"u": 0.95}, "_", {"m": 0.95}, "_")
    for weight in (0.5, 1.0):
        cfg = DecodeConfig(beam=8, lm_weight=weight)
        assert decode(clear, ENGLISH, cfg, 0.02, lm=lm)[0].text == "go vum"
        assert decode(AMBIGUOUS, ENGLISH, cfg, 0.02, lm=lm)[0].text == "go box"
    arpa.write_text(TINY_ARPA.replace("-1.0 <s>", "-99 <s>\n-2.0 <unk>"), encoding="utf-8")
    assert load_lm(arpa).logprob([], "vum") == pytest.approx(-2.0 * math.log(10))  # its own <unk> as is
    arpa.write_text("\\data\\\n\\1-grams:\n-99 <s>\n-inf go\n\\end\\\n", encoding="utf-8")
    assert load_lm(arpa).logprob([], "vum") == -20.0  # no usable unigram: the old floor


def test_hotwords_outside_the_alphabet_are_named_and_ignored() -> None:
    bad = unusable_hotwords(["café", "box", "!!!", "42", "日本"], ENGLISH)
    assert bad == {
        "café": "'é' not in its alphabet",
        "!!!": "nothing left once normalised",
        "日本": "'日本' not in its alphabet",
    }
    scorer = WordScorer(ENGLISH, DecodeConfig(beam=4, hotwords=("café", "box", "!!!", "42")), None)
    assert scorer.hotwords == ("box", "forty two")
