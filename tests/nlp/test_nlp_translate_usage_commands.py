"""A usage line's command words kept as written (#14, ``DecodeConfig.usage_commands``, ``--usage-commands``,
on by default by the rule on git's validation split): the lowercase words before the first option or group
of a usage line (:func:`is_usage_line`; sub-command words too: ``git remote add``) are masked at decode time
as one placeholder of kind ``path`` (the kind the network learnt to copy), so that they come back whole,
and the network translates the rest. Other texts, and every text with the field off, are masked as before.
Before: no kept pieces in ``mask`` (now its ``spans``), no ``command_span``, no field or flag (the network spelled an unseen
command name from subwords: ``exec`` -> ``execec``, or dropped it: nlp docs/results-translation.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.placeholders import ALPHABET, KINDS, MAX_PLACEHOLDERS, mask, unmask
from carrousel.nlp.usage_lines import command_span
from tests.nlp.conftest import Run

PATH0 = ALPHABET[KINDS.index("path") * MAX_PLACEHOLDERS]  # the first placeholder, kind path
COMMANDS = [
    ("alias [-p] [name[=value] ... ]", "alias"),
    ("printf [-v var] format [arguments]", "printf"),
    ("exec [-cl] [-a name] [command [argument ...]]", "exec"),
    ("git remote add [-t <branch>] [-m <master>] <name> <url>", "git remote add"),
    ("git stash drop [-q | --quiet] [<stash>]", "git stash drop"),
    ("git submodule--helper clone [--prefix=<path>] [--quiet] [--depth <n>]", "git submodule--helper clone"),
    ("git merge-base --independent <commit>...", "git merge-base"),
    ("let arg [arg ...]", "let arg"),  # a bare word before the first group is a command word
]
NOT_COMMANDS = [
    "could not read [%s]",  # not a usage line
    "use [-f] to force the update",
    "run the command",
    "Usage: git add [<options>]",
    " git add [<options>]",  # not as read (read_spaced strips it): nothing kept
    "",
]
TOY_USAGE = "read [-f] file [name]"  # the toy model's words, in a usage line's shape
TOY_PROSE = "read the file"


@pytest.mark.parametrize(("text", "words"), COMMANDS)
def test_a_usage_lines_command_words_are_found(text: str, words: str) -> None:
    assert text[: command_span(text)] == words


@pytest.mark.parametrize("text", NOT_COMMANDS)
def test_other_texts_have_no_command_words(text: str) -> None:
    assert command_span(text) == 0


@pytest.mark.parametrize(("text", "words"), COMMANDS)
def test_command_words_are_one_path_placeholder_and_come_back(text: str, words: str) -> None:
    masked, pieces = mask(text, None, spans=[(0, command_span(text))])
    assert masked[0] == PATH0 and pieces[0] == words and words not in masked
    assert unmask(masked, pieces) == text
    rest, rest_pieces = mask(text[len(words) :])  # the rest masked as before, numbered after the command
    assert pieces[1:] == rest_pieces and len(masked) - 1 == len(rest)
    assert unmask(f"{PATH0} übersetzt", pieces) == f"{words} übersetzt"  # wherever the network puts it


def test_the_field_is_on_by_default() -> None:
    assert DecodeConfig().usage_commands is True  # by the rule on git's validation split (session 48)


def test_decoding_masks_the_command_words_of_usage_lines(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    texts = [TOY_USAGE, TOY_PROSE]
    plain = DecodeConfig(beam=2, fallback_nll=0.0, mbr=False, usage_commands=False)
    kept = DecodeConfig(beam=2, fallback_nll=0.0, mbr=False, usage_commands=True)
    before, after = tr.search(texts, plain), tr.search(texts, kept)
    assert before[0].pieces == ["-f"] and after[0].pieces == ["read", "-f"]
    assert PATH0 in [tr.tokenizer.id_to_token(t) for t in after[0].ids]  # one token (after a lone "▁")
    assert PATH0 not in [tr.tokenizer.id_to_token(t) for t in before[0].ids]
    assert (after[1].ids, after[1].pieces) == (before[1].ids, before[1].pieces)  # prose: read as before
    got = tr.translate(texts, kept, attention=True)
    assert "read" in got[0].source_tokens  # one source token is the command word, whole
    assert "read" not in tr.translate([TOY_USAGE], plain, attention=True)[0].source_tokens  # spelt before
    prose = tr.translate(texts, plain, attention=True)[1]  # the same words (scores: to float noise)
    assert (got[1].text, got[1].source_tokens) == (prose.text, prose.source_tokens)


def test_the_cli_flag_reaches_decoding(nlp: Callable[..., Run], undertrained: Path) -> None:
    model = ["--model", str(undertrained), "--beam", "2", "--no-mbr", "--fallback-nll", "0", "--json"]
    tokens = {}
    for flag in ("--usage-commands", "--no-usage-commands"):
        run = nlp("translate", "run", *model, flag, TOY_USAGE)
        assert run.returncode == 0, run.stderr
        tokens[flag] = json.loads(run.stdout)["translations"][0]["source_tokens"]
    assert "read" in tokens["--usage-commands"] and "read" not in tokens["--no-usage-commands"]
