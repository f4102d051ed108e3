"""All-caps names as word placeholders (``caps_names``, ``nlp translate train --caps-names``): which words
the rule masks, that a tiny translator trained with it carries an unseen all-caps name over whole, and that a
bundle trained without it (or from before it) decodes as before."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_known import (
    KNOWN_FILE,
    bundle_unknown,
    caps_unknown_to,
    is_caps_name,
    known_words,
    unknown_to,
    word_unknown,
)
from carrousel.nlp.placeholders import ALPHABET, mask
from tests.nlp.translate_toys import tiny_translator

PAIRS = [
    ("CONFLICT (content): merge conflict in %s", "KONFLIKT (Inhalt): Merge-Konflikt in %s"),
    ("Conflict markers are left in HEAD", "Konfliktmarker bleiben in HEAD"),
    ("STARTTLS failed; set HEAD_REF", "STARTTLS fehlgeschlagen; setze HEAD_REF"),
    ("read A file", "lies eine Datei"),
]


def test_the_predicate_masks_caps_names_unseen_in_lower_case() -> None:
    known = known_words(PAIRS, 0, caps=True)
    assert {"conflict", "merge", "markers", "file", "a"} <= known
    assert not {"starttls", "head"} & known  # seen only in capitals
    unknown = caps_unknown_to(known)
    assert unknown("TIMEFORMAT") and unknown("STARTTLS") and unknown("HEAD") and unknown("SHA1")
    assert not unknown("CONFLICT")  # 'conflict' is written in lower case: the network translates it
    assert not unknown("HEAD_REF") and not is_caps_name("HEAD_REF")  # underscore: not this rule's
    assert not unknown("A") and not unknown("A1") and not unknown("X")  # fewer than two letters
    assert not unknown("Timeformat") and not unknown("timeformat") and not unknown("don't")
    # in a text: outside today's placeholders only (HEAD_REF stays a path placeholder, %s a format)
    masked, pieces = mask("set TIMEFORMAT or HEAD_REF, not CONFLICT, in %s", unknown)
    assert pieces == ["TIMEFORMAT", "HEAD_REF", "%s"]
    assert "CONFLICT" in masked and "TIMEFORMAT" not in masked


def test_without_the_flag_the_known_words_are_as_before() -> None:
    assert known_words(PAIRS, 0) == known_words(PAIRS, 0, False)
    assert {"starttls", "head"} <= known_words(PAIRS, 0)
    assert word_unknown(None, False, True) is None and word_unknown(None, True, False) is None
    known = known_words(PAIRS, 0, caps=True)
    rare = word_unknown(known, True, True)  # with rare words on, their predicate covers the caps rule
    assert rare is not None and rare("TIMEFORMAT") and rare("zdiff3") and not rare("conflict")


def test_a_bundle_without_the_asset_masks_its_rare_words() -> None:
    files = {KNOWN_FILE: json.dumps(["conflict", "file"]).encode()}
    old = bundle_unknown({"placeholders": True}, files)  # a --rare-words bundle from before --caps-names
    assert old is not None and old("zdiff3") and old("TIMEFORMAT") and not old("File")
    caps = bundle_unknown({"caps_names": True, "rare_words": 0}, files)
    assert caps is not None and caps("TIMEFORMAT") and not caps("zdiff3") and not caps("CONFLICT")
    both = bundle_unknown({"caps_names": True, "rare_words": 2}, files)
    assert both is not None and both("zdiff3") and both("TIMEFORMAT")
    assert bundle_unknown({"placeholders": True}, {}) is None
    assert unknown_to({"a"})("B")


WORDS = {"read": "lies", "the": "die", "file": "Datei", "open": "öffne", "now": "jetzt", "all": "alle"}


def _name(rng: random.Random) -> str:
    return "".join(rng.choice("BCDFGKLMNPRSTVZ") + rng.choice("AEIOU") for _ in range(rng.randint(2, 3)))


@pytest.fixture(scope="module")
def caps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny translator trained with ``caps_names`` on word-for-word pairs carrying all-caps names, each
    copied as it is; ``FILE`` is also written in capitals and translated (``DATEI``)."""
    rng = random.Random(2)
    rows = set()
    for _ in range(600):
        src = [rng.choice(list(WORDS)) for _ in range(rng.randint(1, 4))]
        src.insert(rng.randint(0, len(src)), _name(rng))
        rows.add((" ".join(src), " ".join(WORDS.get(w, w) for w in src)))
    rows |= {("open the FILE", "öffne die DATEI"), ("read FILE now", "lies DATEI jetzt")}
    return tiny_translator(tmp_path_factory.mktemp("caps"), rows, vocab=120, epochs=10, caps_names=True)


def test_a_trained_translator_carries_an_unseen_caps_name_over_whole(caps: Path) -> None:
    tr = Translator.from_pretrained(caps)
    assert tr.bundle.assets["caps_names"] is True and tr.bundle.assets["rare_words"] == 0
    assert tr.unknown is not None and tr.unknown("TIMEFORMAT") and not tr.unknown("FILE")
    assert not tr.unknown("Wuxqyzzle")  # an unseen word that is not all-caps: not this rule's
    texts = ["read the TIMEFORMAT file", "open HISTFILE now", "all PROMPTCOMMAND"]
    done = tr.translate(texts, DecodeConfig(beam=3))
    names = ("TIMEFORMAT", "HISTFILE", "PROMPTCOMMAND")
    assert [n in t.text for t, n in zip(done, names, strict=True)] == [True] * 3, [t.text for t in done]
    assert done[0].text.startswith("lies die"), done[0].text  # known words are still translated
    assert not any(c in t.text for t in done for c in ALPHABET)


def test_a_bundle_from_before_the_option_decodes_as_before(caps: Path, tmp_path: Path) -> None:
    """The same weights without the caps assets and known words: no word is masked (a bundle trained
    without ``caps_names`` writes neither), so the name is spelled by the network as before the option."""
    old = tmp_path / "old"
    shutil.copytree(caps, old)
    meta = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    del meta["assets"]["caps_names"], meta["assets"]["rare_words"], meta["files"][f"assets/{KNOWN_FILE}"]
    (old / "bundle.json").write_text(json.dumps(meta), encoding="utf-8")
    (old / "assets" / KNOWN_FILE).unlink()
    tr = Translator.from_pretrained(old)
    assert tr.unknown is None
    new = Translator.from_pretrained(caps)
    texts = ["read the file now", "open all"]  # no caps name: the two decode alike
    assert [t.text for t in tr.translate(texts)] == [t.text for t in new.translate(texts)]
