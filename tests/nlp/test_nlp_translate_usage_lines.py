"""Usage (synopsis) lines to the word dictionary (#14, ``DecodeConfig.usage_dictionary``,
``--usage-dictionary``): the shape is told from the source alone (a command word, then only options,
groups, ``|``, ``...`` and a few bare words); prose that starts with a command-like word is not one. With
the field on, a usage line is the dictionary's as a fallback is (``chosen`` "dictionary"), whatever the
network's confidence, is not redone clause by clause, and other texts are decoded as before; off (the
default), nothing changes. Before: no such field or flag (the network translated usage lines, dropping or
doubling the command name and breaking brackets: nlp docs/results-translation.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.usage_lines import is_usage_line
from tests.nlp.conftest import Run

USAGE = [
    "alias [-p] [name[=value] ... ]",
    "exec [-cl] [-a name] [command [argument ...]]",
    "printf [-v var] format [arguments]",
    "unalias [-a] name [name ...]",
    "git add [<options>] [--] <pathspec>...",
    "git stash drop [-q | --quiet] [<stash>]",
    "git mv [<options>] <source>... <destination>",
    "  read [-f] file [name]  ",
]
NOT_USAGE = [
    "could not read [%s]",  # a format in the group
    "use [-f] to force the update",  # prose starting with a command-like word: more words than groups
    "show <n> more lines",
    "delete branch <name>",  # no [...] group and no option
    "read -r name",  # no group
    "alias",
    "run the command",
    "Usage: git add [<options>]",  # capital, colon
    "git add [<options>]: bad",
    "print [x].",  # a sentence's full stop
    "see [the manual.]",
    "git add [<options>",  # unbalanced
    "git add <options>]",
    "tag [-a] 'name'",  # quotes
    "",
]

TOY_USAGE = "read [-f] file [name]"  # the toy model's words, in a usage line's shape
TOY_PROSE = "read the file"


@pytest.mark.parametrize("text", USAGE)
def test_usage_lines_are_told_by_their_shape(text: str) -> None:
    assert is_usage_line(text)


@pytest.mark.parametrize("text", NOT_USAGE)
def test_prose_and_other_shapes_are_not_usage_lines(text: str) -> None:
    assert not is_usage_line(text)


def test_the_field_is_off_by_default() -> None:
    assert DecodeConfig().usage_dictionary is False


def test_usage_lines_go_to_the_dictionary(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    texts = [TOY_USAGE, TOY_PROSE]
    own = tr.translate(texts, DecodeConfig(beam=3, fallback_nll=0.0, mbr=False))
    assert [t.chosen for t in own] == ["model", "model"]
    routed = tr.translate(texts, DecodeConfig(beam=3, fallback_nll=0.0, mbr=False, usage_dictionary=True))
    assert routed[0].text == tr.dictionary.translate(TOY_USAGE) and routed[0].chosen == "dictionary"
    assert routed[0].fallback and routed[0].model_text == own[0].text
    assert routed[1] == own[1]  # prose: untouched
    # with consensus on, too (the defaults but the field)
    assert tr.translate([TOY_USAGE], DecodeConfig(beam=3, usage_dictionary=True))[0].chosen == "dictionary"


def test_usage_lines_are_not_redone_clause_by_clause(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    unsure = DecodeConfig(beam=3, fallback_nll=1e-9, mbr=False, fallback_clauses=True)
    assert tr.translate([TOY_USAGE], unsure)[0].chosen in ("clauses", "dictionary")  # the brackets cut it
    got = tr.translate([TOY_USAGE], DecodeConfig(beam=3, fallback_nll=1e-9, mbr=False, fallback_clauses=True,
                                                  usage_dictionary=True))[0]  # fmt: skip
    assert (got.text, got.chosen) == (tr.dictionary.translate(TOY_USAGE), "dictionary")


def test_the_cli_flag_routes_usage_lines(nlp: Callable[..., Run], undertrained: Path) -> None:
    model = ["--model", str(undertrained), "--beam", "2", "--no-mbr", "--fallback-nll", "0", "--json"]
    tr = Translator.from_pretrained(undertrained)
    texts = {}
    for flag, chosen in (("--usage-dictionary", "dictionary"), ("--no-usage-dictionary", "model")):
        run = nlp("translate", "run", *model, flag, TOY_USAGE)
        assert run.returncode == 0, run.stderr
        done = json.loads(run.stdout)["translations"][0]
        assert done["chosen"] == chosen, done
        texts[chosen] = done["text"]
    assert texts["model"] != "" and texts["dictionary"] == tr.dictionary.translate(TOY_USAGE) != ""
