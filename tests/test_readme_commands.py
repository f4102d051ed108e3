"""Every command a README shows runs as written: inline (in prose and tables) or in a code block.

A user copies ``nlp translate evaluate --model D3/ --pairs ... --split valid --json`` from a sentence;
after a rename they got "No such option". These tests read every command of the READMEs that starts
with a CLI (``finance``, ``bio``, ``nlp``, ``speech``, ``carrousel-data``) or a script
(``python benchmarks|examples|scripts/X.py``) and check, without running it, that its sub-commands
exist, that each option is one its (sub-)command has, and that a value of a choice option is a choice.
The typer apps are read from their click command tree, the scripts' argparse parsers are built by
running their ``main`` up to ``parse_args`` (which raises here), ``carrousel-data``'s by ``build_parser``.

The prose shorthands read: ``[--flag X]`` (optional), ``--a|--b`` and ``--a/--b`` (either option),
``--[no-]flag`` (both), ``fp32|bf16`` (either value), ``forecast|backtest`` (either sub-command),
``\\|`` (a pipe in a table), ``...``, ``RUN...`` and upper-case placeholders (``--precision P``), and a
span or a ``\\``-continued line that breaks over lines. A span that breaks a value after a comma
(``--sets a,`` / ``b``) is a problem too: the page shows the break as a space.
"""

from __future__ import annotations

import argparse
import enum
import functools
import importlib.util
import re
import shlex
import sys
import tempfile
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
# The pages a package README links for its measurements (packages/nlp/docs/results*.md: the figures' sections
# moved there from the README, their commands with them).
DOCS = sorted(ROOT.glob("packages/*/docs/*.md"))
CLIS = ("finance", "bio", "nlp", "speech", "carrousel-data")
SCRIPT = re.compile(r"(?:benchmarks|examples|scripts)/\w+\.py")
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*|.*\.\.\..*")  # FILE, N, P, RUN..., ...
FENCE = re.compile(r"^ {0,3}(```+|~~~+)([\w-]*)[^\n]*\n(.*?)^ {0,3}\1[ \t]*$", flags=re.S | re.M)
SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", flags=re.S)


# ---------------------------------------------------------------------------------------------------
# reading the commands out of a README
# ---------------------------------------------------------------------------------------------------


def _code(text: str) -> Iterator[tuple[int, str]]:
    """(line, code) for every inline code span and every line of a shell-like fenced block (a line that
    ends with ``\\`` read with the lines it continues, a ``# comment`` dropped)."""
    prose = text
    for fence in FENCE.finditer(text):
        start = text[: fence.start()].count("\n") + 2
        blank = re.sub(r"[^\n]", " ", fence.group(0))
        prose = prose[: fence.start()] + blank + prose[fence.end() :]
        if fence.group(2) in ("python", "py", "toml", "json", "yaml"):
            continue  # code, not commands
        lines = fence.group(3).split("\n")
        for offset, line in enumerate(lines):
            if offset and lines[offset - 1].endswith("\\"):
                continue  # read with the line it continues
            for more in lines[offset + 1 :]:
                if not line.endswith("\\"):
                    break
                line = line[:-1] + " " + more.strip()
            yield start + offset, re.sub(r"(^|\s)#(\s.*)?$", "", line)
    for span in SPAN.finditer(prose):
        if "\n\n" not in span.group(2):  # a span never crosses a paragraph
            yield prose[: span.start()].count("\n") + 1, span.group(2)


def _commands(code: str, own: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """(program, words) of each command in a piece of code: ``a && b``, ``a | b`` and ``a; b`` are two;
    a program is a CLI's name or a script's path (``bench_x.py`` is ``benchmarks/bench_x.py``); in a
    package's README (``own``: its CLI) a span that starts with one of its commands (``translate run
    --file``) is that CLI's. No program, no command."""
    code = " ".join(code.replace("\\|", "|").split())
    for part in re.split(r"\s(?:&&|\|\|?)\s|;\s", code):
        part = re.sub(r"^(\$ |\w+=\S* |\S*/bin/)+", "", part.strip())  # $, OMP_NUM_THREADS=1, .venv/bin/
        if part.startswith("torchrun ") and " -- " in part:
            part = part.split(" -- ", 1)[1]
        part = re.sub(r"^python3? (?=\S*(benchmarks|examples|scripts)/)", "", part)
        part = re.sub(r"^(?=bench_\w+\.py\b)", "benchmarks/", part)
        first = part.split(" ", 1)[0]
        if own is not None and " " in part and first.split("|")[0] in program_node(own).commands:
            first, part = own, f"{own} {part}"
        if first not in CLIS and not SCRIPT.fullmatch(first):
            continue
        try:
            words = shlex.split(part)
        except ValueError:  # an apostrophe of prose after the command
            words = part.split()
        yield first, _alternatives(words[1:])


def _alternatives(words: list[str]) -> list[str]:
    """The words with the prose shorthands undone: ``[--x N]`` is ``--x N``, ``--[no-]x`` is
    ``--x|--no-x``, ``--a/--b`` is ``--a|--b``; the ``|`` alternatives stay for the walk to split."""
    out = []
    for word in words:
        word = re.sub(r"^--\[no-\](\S+)$", r"--\1|--no-\1", word)
        word = word.lstrip("[").rstrip("]")
        if re.fullmatch(r"--?[\w-]+(/--?[\w-]+)+", word):
            word = word.replace("/", "|")
        if word:
            out.append(word)
    return out


def _own(path: Path) -> str | None:
    """The CLI of a package's README or docs page (``packages/nlp/README.md``, ``packages/nlp/docs/x.md``:
    ``nlp``), else ``None``."""
    package = path.parent.parent if path.parent.name == "docs" else path.parent
    return package.name if package.parent.name == "packages" and package.name in CLIS else None


def readme_commands(path: Path) -> list[tuple[str, str, list[str]]]:
    """(where, program, words) of every command of one README."""
    return [
        (f"{path.relative_to(ROOT)}:{line}", program, words)
        for line, code in _code(path.read_text(encoding="utf-8"))
        for program, words in _commands(code, _own(path))
    ]


def broken_values(code: str, own: str | None = None) -> list[str]:
    """The values a command span breaks over a line after a comma: the page shows the break as a space
    (``--sets a, b``), so the copied command gets ``a,`` and a stray argument ``b``."""
    if "\n" not in code or not any(_commands(code, own)):
        return []
    return [
        f"{m.group(1)} {m.group(2)}: a value broken over a line (shown with a space: two words)"
        for m in re.finditer(r"(\S+,)\n\s*(\S+)", code)
        if not m.group(1).startswith("[")  # [window, network and fitting options]: prose
    ]


# ---------------------------------------------------------------------------------------------------
# the programs: click command trees and argparse parsers, read once
# ---------------------------------------------------------------------------------------------------


class _ParserReadError(Exception):
    """Raised by ``parse_args`` while a script's parser is read: it carries the parser."""


def _script_parser(script: str) -> argparse.ArgumentParser | None:
    """The parser a script's ``main`` builds (``None``: it takes no options), read without running the
    script's work: ``parse_args`` raises with the parser, so only its imports and the lines of ``main``
    before ``parse_args`` run (today: building the parser, nothing else)."""
    path = ROOT / script
    if "ArgumentParser(" not in path.read_text(encoding="utf-8"):
        return None
    name = f"_readme_command_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)

    def caught(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> Any:
        raise _ParserReadError(self)

    cls = argparse.ArgumentParser
    saved, before = (sys.argv, list(sys.path), cls.parse_args, cls.parse_known_args), set(sys.modules)
    sys.argv, sys.modules[name] = [str(path)], module
    sys.path.insert(0, str(path.parent))  # as ``python benchmarks/x.py`` has it: x imports its siblings
    cls.parse_args = cls.parse_known_args = caught  # type: ignore[method-assign,assignment]
    try:
        spec.loader.exec_module(module)
        module.main()
    except _ParserReadError as parsed:
        return parsed.args[0]  # type: ignore[no-any-return]
    finally:
        sys.argv, sys.path[:] = saved[0], saved[1]
        cls.parse_args, cls.parse_known_args = saved[2], saved[3]  # type: ignore[method-assign]
        for key in set(sys.modules) - before:  # the script and the siblings it imported, not the libraries
            if Path(getattr(sys.modules[key], "__file__", None) or "/").parent == path.parent:
                for value in vars(sys.modules.pop(key)).values():
                    if isinstance(value, tempfile.TemporaryDirectory):
                        value.cleanup()  # one it made at import (bench_train_precision): removed now
    raise AssertionError(f"{script}: main() returned without parsing its arguments")


# ---------------------------------------------------------------------------------------------------
# checking the words against a program
# ---------------------------------------------------------------------------------------------------


@dataclass
class Node:
    """A command as the check sees it, click's or argparse's."""

    options: dict[str, tuple[bool, tuple[str, ...]]]  # name -> (takes a value, its choices or ())
    arguments: bool  # it takes positional arguments
    commands: dict[str, Node] = field(default_factory=dict)  # its sub-commands
    run_by_default: bool = False  # words that name no sub-command go to ``run`` (nlp translate, generate)


def _choices(param: Any) -> tuple[str, ...]:
    """The values a typer option takes when its type is an enum or a ``Literal`` (else ``()``)."""
    kind = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return tuple(str(e.value) for e in kind)
    return tuple(map(str, typing.get_args(kind))) if typing.get_origin(kind) is typing.Literal else ()


def _click_node(cmd: Any, name: str, parent: Any = None) -> Node:
    """A typer command (typer's own click: duck-typed) and its sub-commands; ``-h`` and ``--help`` are
    read from the context its settings give."""
    from carrousel.nlp.cli._common import RunByDefault

    ctx = cmd.context_class(cmd, info_name=name, parent=parent, **cmd.context_settings)
    options = {
        o: (not (p.is_flag or p.count), _choices(p))
        for p in cmd.get_params(ctx)
        if p.param_type_name == "option"
        for o in (*p.opts, *p.secondary_opts)
    }
    arguments = any(p.param_type_name == "argument" for p in cmd.params)
    subs = {k: _click_node(c, k, ctx) for k, c in getattr(cmd, "commands", {}).items()}
    return Node(options, arguments, subs, isinstance(cmd, RunByDefault))


def _argparse_node(parser: argparse.ArgumentParser | None) -> Node:
    actions = parser._actions if parser is not None else []
    options = {o: (a.nargs != 0, tuple(a.choices or ())) for a in actions for o in a.option_strings}
    subs = next((a.choices for a in actions if isinstance(a, argparse._SubParsersAction)), {})
    arguments = any(not a.option_strings for a in actions if not isinstance(a, argparse._SubParsersAction))
    return Node(options, arguments, {k: _argparse_node(p) for k, p in subs.items()})


@functools.cache
def program_node(program: str) -> Node:
    """The command tree of a CLI (by name) or a script (by path)."""
    if SCRIPT.fullmatch(program):
        return _argparse_node(_script_parser(program))
    if program == "carrousel-data":
        from carrousel_devdata.cli import build_parser

        return _argparse_node(build_parser())
    return _click_node(get_command(__import__(f"carrousel.{program}.cli", fromlist=["app"]).app), program)


def _is_option(word: str) -> bool:
    return word.startswith("-") and word != "-" and not re.fullmatch(r"-[\d.e+-]+", word)


def check(node: Node, words: list[str], said: str) -> list[str]:
    """Problems of ``words`` given to the command ``node`` (``said``: the command so far)."""
    problems: list[str] = []
    i = 0
    while i < len(words):
        word, i = words[i], i + 1
        if word == "--":
            break
        names, option = word.split("=", 1)[0].split("|"), _is_option(word)
        if node.commands and not (option and all(n in node.options for n in names)):
            if not option and all(w in node.commands for w in word.split("|")):
                for w in word.split("|"):  # forecast|backtest: each
                    problems += check(node.commands[w], words[i:], f"{said} {w}")
                return problems
            if node.run_by_default and (option or node.commands["run"].arguments):
                return problems + check(node.commands["run"], words[i - 1 :], f"{said} run")
            if not option:
                return [*problems, f"{said} {word}: no such command"]
        if not option:
            continue  # an argument
        value = words[i] if i < len(words) and not _is_option(words[i]) and "=" not in word else None
        if "=" in word:
            value = word.split("=", 1)[1]
        takes = [node.options[n] for n in names if n in node.options and node.options[n][0]]
        problems += [f"{said}: no option {n}" for n in names if n not in node.options]
        if takes and "=" not in word and value is not None:
            i += 1
        for _, choices in takes:
            if choices and value is not None and not PLACEHOLDER.fullmatch(value):
                wrong = [v for v in value.split("|") if v not in choices]
                problems += [f"{said} {word} {v}: not a choice ({', '.join(choices)})" for v in wrong]
    return problems


def check_command(program: str, words: list[str]) -> list[str]:
    """Problems of one README command: ``program`` (a CLI's name or a script's path) and its words."""
    if SCRIPT.fullmatch(program) and not (ROOT / program).is_file():
        return [f"{program}: no such script"]
    return check(program_node(program), words, program)


# ---------------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------------


# A README's command that is wrong on purpose: the problem the check reports -> why it stays.
ALLOWED = {
    "nlp generate trian: no such command": "the nlp README's example of a misspelt sub-command that stays "
    "an unknown command (RunByDefault sends only options, or words run takes, to run)",
}


def _problems(readme: Path) -> list[str]:
    where = readme.relative_to(ROOT)
    broken = [
        f"{where}:{line}: {p}"
        for line, code in _code(readme.read_text(encoding="utf-8"))
        for p in broken_values(code, _own(readme))
    ]
    return broken + [
        f"{at}: {p}" for at, program, words in readme_commands(readme) for p in check_command(program, words)
    ]


@pytest.mark.parametrize(
    ("readme", "least"),
    [(p, 31) for p in READMES] + [(p, 1) for p in DOCS],
    ids=[str(p.relative_to(ROOT)) for p in [*READMES, *DOCS]],
)
def test_readme_commands_name_real_commands_options_and_choices(readme: Path, least: int) -> None:
    """Each README's commands, inline and in code blocks, name sub-commands and options their program
    has, and choices its choice options take (the count: the reading still finds the commands). The
    measurement pages moved out of a package README keep their commands checked too (before the move they
    were the README's): each names at least one, the commands of its figures."""
    assert len(readme_commands(readme)) >= least, readme
    problems = [p for p in _problems(readme) if p.split(": ", 1)[1] not in ALLOWED]
    assert not problems, "\n".join(problems)


def test_the_nlp_docs_pages_are_checked_with_the_nlp_cli() -> None:
    """A docs page's bare ``translate evaluate ...`` span is the nlp CLI's, as in its README."""
    page = ROOT / "packages" / "nlp" / "docs" / "results-translation.md"
    assert page in DOCS and _own(page) == "nlp"
    assert len(readme_commands(page)) > 30


def test_every_allowed_problem_is_still_in_a_readme() -> None:
    """An allowed problem whose sentence was reworded or removed leaves the list."""
    found = {p.split(": ", 1)[1] for readme in [*READMES, *DOCS] for p in _problems(readme)}
    assert set(ALLOWED) <= found, set(ALLOWED) - found


PROSE = """A run: `nlp translate evaluate --model D3/ --pairs ... --split valid --jsn` and, in a table,
| `finance forecast\\|backtest --precision fp64` | `OMP_NUM_THREADS=1 python benchmarks/bench_export.py
--parts bio --nope` (a span over a line break), `bench_finance_global.py accuracy --sed S`, `bio export
--prune/--distil`, `speech train [--subword N]`, `bench_finance_global.py calibration --[no-]vol-input`,
`torchrun --nproc-per-node 2 --no-python -- nlp sentiment train --dta x`, `carrousel-data fetch --nope`,
`nlp translate --model x --bogus`, `nlp sentiment|generate train --lrate 1`, `python examples/core_quickstart.py --x`.
Fine: `nlp translate --model x --beam 5 -- --not-an-option`, `nlp generate -h`, `finance forecast --precision P`,
`speech evaluate --data manifest.tsv [--beam 8] --threads 1`, `bio scan --method model|both`.

```bash
$ nlp sentiment train --data x \\
    --bad 1   # a comment --worse
```
"""


def test_the_check_reads_prose_shorthands_and_finds_each_wrong_word() -> None:
    """Before, only code blocks' ``finance|bio|nlp|speech`` lines were checked: none of these was."""
    problems = [
        p
        for line, code in _code(PROSE)
        for program, words in _commands(code)
        for p in check_command(program, words)
    ]
    assert problems == [
        "nlp sentiment train: no option --bad",
        "nlp translate evaluate: no option --jsn",
        "finance forecast --precision fp64: not a choice (fp32, bf16, fp16)",
        "finance backtest --precision fp64: not a choice (fp32, bf16, fp16)",
        "benchmarks/bench_export.py: no option --nope",
        "benchmarks/bench_finance_global.py accuracy: no option --sed",
        "bio export: no option --distil",
        "speech train: no option --subword",
        "benchmarks/bench_finance_global.py calibration: no option --vol-input",
        "benchmarks/bench_finance_global.py calibration: no option --no-vol-input",
        "nlp sentiment train: no option --dta",
        "carrousel-data fetch: no option --nope",
        "nlp translate run: no option --bogus",
        "nlp sentiment train: no option --lrate",
        "nlp generate train: no option --lrate",
        "examples/core_quickstart.py: no option --x",
    ]


def test_a_value_broken_over_a_line_after_a_comma_is_a_problem() -> None:
    """The speech README had four: ``--sets tidigits,`` at a line's end, the other sets on the next line."""
    code = "bench_speech_accuracy.py --model M --sets tidigits,\nklettres_en,cards --threads 1"
    assert broken_values(code) == [
        "tidigits, klettres_en,cards: a value broken over a line (shown with a space: two words)"
    ]
    assert broken_values("bench_speech_accuracy.py --model M\n--sets tidigits,klettres_en,cards") == []
    assert broken_values("finance train-global [--max-windows N] [window,\nnetwork options]") == []
