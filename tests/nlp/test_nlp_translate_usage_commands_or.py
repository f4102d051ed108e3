"""Every command of a usage line kept as written (#14, session 49; ``--usage-commands``): after an ``or``
outside the groups, the line's command words again (``history [-c] [n] or history -anrw [filename]``) are
masked as well, each one ``path`` placeholder numbered in order of appearance
(:func:`carrousel.nlp.usage_lines.command_spans`, ``mask(..., spans=...)``), and put back whole by
``unmask``; other words after an ``or``, an ``or`` inside a group and other texts are masked as before.
Before: only the first command was masked (``... or history -anrw`` -> ``... oder Historie -anrw``:
nlp docs/results-translation.md), and ``command_spans`` / ``spans`` did not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.placeholders import ALPHABET, KINDS, MAX_PLACEHOLDERS, mask, unmask
from carrousel.nlp.usage_lines import command_span, command_spans

PATH = ALPHABET[KINDS.index("path") * MAX_PLACEHOLDERS :][:MAX_PLACEHOLDERS]  # the path placeholders
SEVERAL = [
    ("export [-fn] [name[=value] ...] or export -p", ["export", "export"]),
    ("history [-c] [-d offset] [n] or history -anrw [filename] or history -ps arg [arg...]", ["history"] * 3),
    ("jobs [-lnprs] [jobspec ...] or jobs -x command [args]", ["jobs", "jobs"]),
    ("git stash drop [-q] [-a] [-b] [-c] [<stash>] or git stash drop [--quiet]", ["git stash drop"] * 2),
]
ONE = [
    "git rerere [clear | forget <pathspec>... | diff]",  # no or: the first command only
    "foo [a or foo] [-x]",  # the or inside a group
    "foo [-x] [-y] or bar [-z]",  # another command after the or
    "foo [-x] [-y] or foox [-z]",  # a longer word
    "git stash [-q] [-x] [-y] [-z] [-w] or git stash drop [<stash>]",  # more command words after the or
    "foo [-x] or  foo [-y]",  # two spaces: not as read (read_spaced), left
]
TOY_OR = "read [-f] file [name] or read [name]"  # the toy model's words, two commands


@pytest.mark.parametrize(("text", "words"), SEVERAL)
def test_every_command_of_an_or_line_is_found(text: str, words: list[str]) -> None:
    spans = command_spans(text)
    assert [text[a:b] for a, b in spans] == words
    assert spans[0] == (0, command_span(text))
    assert all(text[a - 3 : a] == "or " for a, _ in spans[1:])


@pytest.mark.parametrize("text", ONE)
def test_an_or_without_the_same_command_adds_nothing(text: str) -> None:
    assert command_spans(text) == [(0, command_span(text))]


@pytest.mark.parametrize(
    "text", ["could not read [%s] or read it", "run the command or not", "", " foo [-x]"]
)
def test_other_texts_have_no_commands(text: str) -> None:
    assert command_spans(text) == []


@pytest.mark.parametrize(("text", "words"), SEVERAL)
def test_each_command_is_a_path_placeholder_in_order_and_comes_back(text: str, words: list[str]) -> None:
    masked, pieces = mask(text, None, spans=command_spans(text))
    assert unmask(masked, pieces) == text
    held = [pieces[PATH.index(c)] for c in masked if c in PATH]  # the path symbols, in order of the text
    assert held == words and sorted(PATH.index(c) for c in masked if c in PATH) == [
        PATH.index(c) for c in masked if c in PATH
    ]  # numbered in order of appearance, like every other piece
    assert not set(words[0].split()) & set(masked.split())
    assert command_spans(text)[0] == (0, command_span(text))  # the head as before


def test_spans_out_of_order_or_outside_the_text_are_refused() -> None:
    text = "export [-fn] [name ...] or export -p"
    for bad in ([(27, 33), (0, 6)], [(0, 6), (3, 9)], [(0, 99)], [(4, 4)]):
        with pytest.raises(ValueError, match="spans"):
            mask(text, None, spans=bad)
    assert mask(text, None, spans=()) == mask(text)


def test_a_span_past_the_placeholder_limit_stays_as_text() -> None:
    text = " ".join(f"-{chr(97 + i % 26)}{i}" for i in range(MAX_PLACEHOLDERS)) + " or end"
    masked, pieces = mask(text, None, spans=[(len(text) - 3, len(text))])
    assert len(pieces) == MAX_PLACEHOLDERS and masked.endswith(" or end") and unmask(masked, pieces) == text


def test_decoding_masks_every_command(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    kept = DecodeConfig(beam=2, fallback_nll=0.0, mbr=False, usage_commands=True)
    plain = DecodeConfig(beam=2, fallback_nll=0.0, mbr=False, usage_commands=False)
    got, before = tr.search([TOY_OR], kept)[0], tr.search([TOY_OR], plain)[0]
    assert got.pieces == ["read", "-f", "read"] and before.pieces == ["-f"]
    tokens = [tr.tokenizer.id_to_token(t) for t in got.ids]
    assert PATH[0] in tokens and PATH[2] in tokens  # the second command: one token, numbered after -f
    assert "read" in tr.translate([TOY_OR], kept, attention=True)[0].source_tokens
