"""Placeholders (formats, options, paths, numbers) survive translation exactly: masking round trips, a
training pair's target shares the source's symbols, the tokenizer keeps each symbol as one token, and a
small trained translator reproduces ``%.250s``-style pieces it never saw, as written."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from carrousel.nlp.cli import main
from carrousel.nlp.config import DecodeConfig, TokenizerConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.placeholders import ALPHABET, mask, mask_pair, unmask
from carrousel.nlp.tokenization import train_tokenizer
from tests.nlp.translate_toys import tiny_translator

MESSAGES = [
    "could not read '%.250s': %s",
    "%1$s and %2$s differ by %<PRIuMAX> bytes",
    "use --force or -f to overwrite /etc/apt/sources.list",
    "see https://example.org/docs/x.html for ${HOME} and $GIT_DIR",
    "%(name)s: {0} of 3.14 done, 12 left",
    "usage: git add [<options>] [--] <pathspec>...",
]


@pytest.mark.parametrize("text", MESSAGES)
def test_masking_round_trips_exactly(text: str) -> None:
    masked, pieces = mask(text)
    assert unmask(masked, pieces) == text
    assert not any(c in text for c in ALPHABET)


def test_what_is_masked_and_what_is_not() -> None:
    assert mask(MESSAGES[0])[1] == ["%.250s", "%s"]
    assert mask(MESSAGES[1])[1] == ["%1$s", "%2$s", "%<PRIuMAX>"]
    assert mask(MESSAGES[2])[1] == ["--force", "-f", "/etc/apt/sources.list"]
    assert mask(MESSAGES[3])[1] == ["https://example.org/docs/x.html", "${HOME}", "$GIT_DIR"]
    assert mask(MESSAGES[4])[1] == ["%(name)s", "{0}", "3.14", "12"]
    # angle-bracket names are translated (<Pfadspezifikation>), hyphenated words and "and/or" are words
    assert mask(MESSAGES[5])[1] == []
    assert mask("a non-fast-forward update and/or 100% sure, SHA1")[1] == ["100"]
    # code identifiers (an underscore, or a lower-case dotted name) are carried over; "e.g." is a word
    text = "initialize_job_control: set 'GIT_AUTHOR_DATE' or core.fsyncMethod, e.g. in trust.c:uid_str"
    ids = ["initialize_job_control", "GIT_AUTHOR_DATE", "core.fsyncMethod", "trust.c", "uid_str"]
    assert mask(text)[1] == ids
    assert unmask(mask(text)[0], ids) == text
    assert mask("a snake_ case, %s_%d and --no_foo")[1] == ["%s", "%d", "--no_foo"]


def test_a_pair_shares_symbols_and_reordering_is_restored() -> None:
    source, target = mask_pair("%s: copied %d of %d files", "%s: %d von %d Dateien kopiert")
    assert [c for c in source if c in ALPHABET] == [c for c in target if c in ALPHABET]
    pieces = mask("%s: copied %d of %d files")[1]
    assert unmask(target, pieces) == "%s: %d von %d Dateien kopiert"
    # a decoded text that swaps two symbols gets the pieces swapped; a symbol the source lacks is dropped
    a, b = (c for c in mask("from %1$s to %2$s")[0] if c in ALPHABET)
    assert unmask(f"nach {b} von {a}", ["%1$s", "%2$s"]) == "nach %2$s von %1$s"
    assert unmask(f"x {ALPHABET[15]}", ["%s"]) == "x "
    # a target piece with no source counterpart stays text
    assert mask_pair("open it", "öffne --force")[1] == "öffne --force"


def test_a_literal_percent_and_a_separated_number_are_one_piece_each() -> None:
    """printf's ``%%`` is a literal percent sign: ``%%s`` is ``%%`` then ``s``, no ``%s`` placeholder (before:
    ``%`` left as text and ``%s`` masked); ``1,024`` and ``3,5`` are one number (before: ``1``, ``,``, ``024``)."""
    assert mask("100%% sure")[1] == ["100", "%%"]
    assert mask("%%s")[1] == ["%%"]
    assert mask("%%%s and %%")[1] == ["%%", "%s", "%%"]
    numbers = ["1,024", "1.024", "3,5", "1", "2", "3"]
    assert mask("1,024 bytes, 1.024 bytes, 3,5 MB; 1, 2 and 3.")[1] == numbers
    for text in ("100%% sure", "%%s", "copied 1,024 of 3,5 files."):
        masked, pieces = mask(text)
        assert unmask(masked, pieces) == text and "%" not in masked and "," not in masked.rstrip(".")
    source, target = mask_pair("%%s: 1,024 files", "%%s: 1,024 Dateien")
    assert target == source.replace("files", "Dateien")


def test_the_tokenizer_keeps_every_symbol_as_one_token() -> None:
    texts = [mask(m)[0] for m in MESSAGES] * 3
    tok = train_tokenizer(texts, TokenizerConfig("bpe", 200, 1, False), ALPHABET)
    for symbol in (ALPHABET[0], ALPHABET[-1]):  # the last one never occurs in the texts
        ids = tok.encode(f"read {symbol}: done")
        assert tok.unk_id not in ids
        assert any(tok.id_to_token(i).lstrip("▁") == symbol for i in ids)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny translator trained on word-for-word messages that carry formats, options and numbers."""
    words = {"read": "lies", "the": "die", "file": "Datei", "open": "öffne", "now": "jetzt", "all": "alle"}
    extras = ["%s", "%d", "--all", "-q", "7", "/tmp/x"]
    rng = random.Random(0)
    rows = set()
    for _ in range(600):
        src = [rng.choice(list(words)) for _ in range(rng.randint(1, 4))]
        src.insert(rng.randint(0, len(src)), rng.choice(extras))
        rows.add((" ".join(src), " ".join(words.get(w, w) for w in src)))
    return tiny_translator(tmp_path_factory.mktemp("ph"), rows, vocab=80, epochs=6)


@pytest.fixture(scope="module")
def translator(trained: Path) -> Translator:
    return Translator.from_pretrained(trained)


def test_a_trained_translator_reproduces_pieces_it_never_saw(translator: Translator) -> None:
    texts = ["read the %.250s file", "open --force now", "read 4096 files", "open all %1$s"]
    texts += ["read 1,024 files", "open %% now"]  # one piece each (before: 1 , 024; % %)
    pieces = ["%.250s", "--force", "4096", "%1$s", "1,024", "%%"]  # none occurs in the training pairs
    done = translator.translate(texts, DecodeConfig(beam=3))
    hits = sum(piece in t.text for t, piece in zip(done, pieces, strict=True))
    assert hits == len(texts), [t.text for t in done]
    assert not any(c in t.text for t in done for c in ALPHABET)


def test_translate_without_run_is_run(
    trained: Path, translator: Translator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nlp translate --model DIR TEXT`` is ``nlp translate run --model DIR TEXT``."""
    outputs = []
    for head in (["translate"], ["translate", "run"]):
        monkeypatch.setattr(sys, "argv", ["nlp", *head, "--model", str(trained), "read the %.250s file"])
        with pytest.raises(SystemExit) as done:
            main()
        assert not done.value.code
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == translator.translate(["read the %.250s file"])[0].text + "\n"


def test_unseen_words_are_masked_only_when_asked() -> None:
    text = "Installed: %s and zdiff3, not the rest"
    unknown = {"installed", "zdiff3"}.__contains__
    masked, pieces = mask(text, lambda w: unknown(w.casefold()))
    assert pieces == ["Installed", "%s", "zdiff3"]
    assert unmask(masked, pieces) == text
    assert mask(text) == mask(text, None)  # no predicate: words stay text
    assert mask(text)[1] == ["%s"]


def test_an_unseen_word_takes_the_place_of_its_translation() -> None:
    unknown = {"installed", "zdiff3"}.__contains__
    source, target = mask_pair(
        "%s is not installed", "%s ist nicht installiert", unknown, {"installed": "installiert"}
    )
    assert source[-1] == target[-1] and source[-1] in ALPHABET  # the word's symbol replaced its translation
    assert unmask(target, mask("%s is not installed", unknown)[1]) == "%s ist nicht installed"
    # a word copied as it is takes its own symbol; one with no counterpart leaves the target alone
    assert (
        mask_pair("use zdiff3", "zdiff3 nutzen", unknown)[1] == f"{mask('use zdiff3', unknown)[0][-1]} nutzen"
    )
    assert mask_pair("installed", "fertig", unknown, {"installed": "installiert"})[1] == "fertig"


@pytest.fixture(scope="module")
def rare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny translator again, now with names seen once each, trained with ``rare_words=1``."""
    words = {"read": "lies", "the": "die", "file": "Datei", "open": "öffne", "now": "jetzt", "all": "alle"}
    rng = random.Random(1)
    rows = set()
    for i in range(600):
        src = [rng.choice(list(words)) for _ in range(rng.randint(1, 4))]
        for j in range(rng.randint(1, 2)):  # names seen once, copied as they are
            name = "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) + f"{i}{j}"
            src.insert(rng.randint(0, len(src)), name)
        rows.add((" ".join(src), " ".join(words.get(w, w) for w in src)))
    return tiny_translator(tmp_path_factory.mktemp("rare"), rows, vocab=120, epochs=10, rare_words=1)


def test_a_trained_translator_carries_unseen_words_over_whole(rare: Path) -> None:
    tr = Translator.from_pretrained(rare)
    assert tr.unknown is not None and not tr.unknown("File") and tr.unknown("Installed")
    assert "caps_names" not in tr.bundle.assets  # without --caps-names: the assets of before the option
    texts = ["read the Installed file", "open Wuxqyzzle now", "all Zq-3x Qi files"]
    done = tr.translate(texts, DecodeConfig(beam=3))
    assert [w in t.text for t, w in zip(done, ("Installed", "Wuxqyzzle", "Zq-3x"), strict=True)] == [
        True
    ] * 3, [t.text for t in done]
    assert done[0].text.startswith("lies die"), done[0].text  # known words are still translated
    assert not any(c in t.text for t in done for c in ALPHABET)
