"""The "Commands" reference of the domain READMEs, generated from the CLIs (a development tool, not shipped).

Each command of ``carrousel.<domain>.cli.app`` (the typer app; read through its click tree) has a block in
``packages/<domain>/README.md`` between two markers::

    <!-- commands:begin nlp sentiment train -->
    ### `nlp sentiment train`

    (the command's help, first paragraph)

    | option | default | what |
    ...
    <!-- commands:end -->

Only the text between the markers is generated; the paragraph after a block (what the command writes and
its ``--json`` keys) and the section's introduction are hand-written and stay as they are. Run::

    python -m carrousel_devdata.readme_commands            # rewrite the four READMEs' blocks
    python -m carrousel_devdata.readme_commands --check    # exit 1 when a README is not the generated text

A command without a block gets one at the end of the README's last block's section (its outputs paragraph
is then to be written by hand); a block whose command is gone is removed (a warning names it).

The default cell, the same for every README: the ``[default: X]`` of the option's help; else, when the
option's own default is ``None`` (the value comes from a ``--config`` file or the pipeline's config) or it is
a flag pair, a one-word ``(default X)`` / ``(default: X)`` of its help or a number or choice in parentheses
ending it (``LSTM layers (2).``); else the option's default. A flag pair's default is the flag that is on
(``--header``, ``--no-balance``). Empty: none, or the help text says what (``default: the model's``).
"""

from __future__ import annotations

import argparse
import enum
import importlib
import logging
import re
import sys
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DOMAINS", "block_pattern", "check", "leaves", "main", "readme_path", "render_blocks", "rewrite"]

log = logging.getLogger(__name__)

DOMAINS = ("nlp", "finance", "speech", "bio")
COMMON = frozenset({"--json", "--verbose", "--quiet", "--help"})  # said once, in each section's introduction
BEGIN, END = "<!-- commands:begin {} -->", "<!-- commands:end -->"
HEADER = "| option | default | what |\n|---|---|---|"
RANGE = re.compile(r"\s+\[(x>0|0<x<1|0<x<=1|[^\]]*<=?x[^\]]*)\]$")
WORD_DEFAULT = re.compile(r"\s*\(default:? ([^\s()]{1,40})\)")
END_VALUE = re.compile(r"\s*\(([\w.\-]+)\)(?=\.?$)")  # "LSTM layers (2)." / "Feature kind (mfcc)."
ON, OFF = ("on", "yes"), ("off", "no")


def block_pattern(name: str | None = None) -> re.Pattern[str]:
    """The regex of one command's block (``name``) or of any block (group 1: the command, group 2: the body)."""
    command = re.escape(name) if name else r"[^>]+?"
    return re.compile(
        rf"^<!-- commands:begin ({command}) -->\n(.*?)^<!-- commands:end -->$", flags=re.S | re.M
    )


def readme_path(domain: str, root: Path | None = None) -> Path:
    """``packages/<domain>/README.md`` of the monorepo (``root``: its top folder, by default this checkout's)."""
    return (root or Path(__file__).resolve().parents[4]) / "packages" / domain / "README.md"


def leaves(cmd: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    """Each command of a click tree that has no sub-commands, as (its name, ``path`` and the words to it;
    the command), in the CLI's order."""
    subs = getattr(cmd, "commands", {})
    if not subs:
        yield " ".join(path), cmd
    for key, sub in subs.items():
        yield from leaves(sub, [*path, key])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _bracket_default(text: str) -> tuple[str, str] | None:
    """``[default: X]`` (X may hold brackets: ``[data] files of --config``) cut out of ``text``."""
    start = text.find("[default: ")
    if start < 0:
        return None
    depth = 0
    for at in range(start, len(text)):
        depth += {"[": 1, "]": -1}.get(text[at], 0)
        if depth == 0:
            rest = (text[:start].rstrip() + text[at + 1 :]).strip()
            return text[start + len("[default: ") : at], re.sub(r"\s+\.$", ".", rest)
    return None


def _flag(param: Any, word: str) -> str:
    """A flag pair's default as the flag that is on: ``header`` / ``on`` / ``True`` -> ``--header``."""
    on, off = param.opts[0], param.secondary_opts[0]
    if word in (on.lstrip("-"), *ON, "True"):
        return on
    if word in (off.lstrip("-"), *OFF, "False"):
        return off
    return word


def default_cell(param: Any, text: str) -> tuple[str, str]:
    """(the default cell, the help text without the default it said)."""
    found = _bracket_default(text)
    if found is None and (param.default in (None, False) or param.secondary_opts):
        match = WORD_DEFAULT.search(text)
        if match:
            found = match.group(1), text[: match.start()] + text[match.end() :]
        match = END_VALUE.search(text)
        if (
            found is None
            and match
            and (re.fullmatch(r"\d[\d.e\-]*", match.group(1)) or match.group(1) in _choices(param))
        ):
            found = match.group(1), text[: match.start()] + text[match.end() :]
    if found is None:
        value = param.default
        if callable(value) or value is None or (isinstance(value, (list, tuple)) and not value):
            return "", text
        if value is False and not param.secondary_opts:
            return "", text
        value = value.value if isinstance(value, enum.Enum) else value
        found = ('""' if value == "" else str(value)), text
    word, text = found
    if param.secondary_opts:
        word = _flag(param, word)
    return word, text.strip()


def _choices(param: Any) -> list[str]:
    """The values of an enum or ``Literal`` option (typer's annotation; click's ``Choice`` otherwise)."""
    kind = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return [str(e.value) for e in kind]
    if typing.get_origin(kind) is typing.Literal:
        return [str(c) for c in typing.get_args(kind)]
    return [str(getattr(c, "value", c)) for c in getattr(getattr(param, "type", None), "choices", None) or ()]


def _row(param: Any) -> tuple[str, str, str] | None:
    help_text = _cell(getattr(param, "help", None) or "")
    if param.param_type_name == "argument":
        return param.name.upper(), "", help_text
    if getattr(param, "hidden", False) or {*param.opts, *param.secondary_opts} & COMMON:
        return None
    names = ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
    default, help_text = default_cell(param, help_text)
    help_text = RANGE.sub(lambda m: f" ({m.group(1)})", help_text)
    choices = _choices(param)
    if choices:
        values = ", ".join(f"`{c}`" for c in choices)
        help_text = f"{help_text} One of {values}.".strip()
    return names, f"`{default}`" if default else "", help_text


def render_command(name: str, cmd: Any) -> str:
    """One command's block body: its heading, its help's first paragraph and its option table."""
    import click

    summary = _cell((cmd.help or "").split("\n\n")[0])
    rows = [_row(p) for p in cmd.get_params(click.Context(cmd, info_name=name.split()[-1]))]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in (r for r in rows if r))
    return f"### `{name}`\n\n{summary}\n\n{HEADER}\n{table}\n\n"


def render_blocks(domain: str, app: Any = None) -> dict[str, str]:
    """Command name -> its block body, in the CLI's order (``app``: by default ``carrousel.<domain>.cli.app``)."""
    from typer.main import get_command

    if app is None:
        app = importlib.import_module(f"carrousel.{domain}.cli").app
    return {name: render_command(name, cmd) for name, cmd in leaves(get_command(app), [domain])}


def _block(name: str, body: str) -> str:
    return f"{BEGIN.format(name)}\n{body}{END}"


def rewrite(text: str, blocks: dict[str, str]) -> str:
    """``text`` with each command's block replaced by ``blocks``' (new commands added after the last block's
    section, blocks of gone commands removed)."""
    present = [m.group(1) for m in block_pattern().finditer(text)]
    if not present:
        raise ValueError(
            "no <!-- commands:begin NAME --> block: add the markers around the Commands section's tables"
        )
    for name in present:
        if name not in blocks:
            log.warning("%s: no such command any more; its block is removed (its prose after it stays)", name)
            text = block_pattern(name).sub("", text, count=1)
    for name in present:
        if name in blocks:
            match = block_pattern(name).search(text)
            assert match is not None  # found above
            text = text[: match.start()] + _block(name, blocks[name]) + text[match.end() :]
    missing = [name for name in blocks if name not in present]
    if missing:
        last = list(block_pattern().finditer(text))[-1]
        heading = re.compile(r"^## ", flags=re.M).search(text, last.end())
        at = heading.start() if heading else len(text)
        added = "".join(_block(name, blocks[name]) + "\n\n" for name in missing)
        text = text[:at] + added + text[at:]
        log.warning(
            "added blocks for %s: write what each prints and its --json keys after it", ", ".join(missing)
        )
    return text


def check(domain: str, root: Path | None = None, app: Any = None) -> list[str]:
    """The problems of ``domain``'s README against its CLI (none: the README is the generated text)."""
    text = readme_path(domain, root).read_text(encoding="utf-8")
    blocks = render_blocks(domain, app)
    present = {m.group(1): m.group(2) for m in block_pattern().finditer(text)}
    problems = [f"{name}: no block in the README" for name in blocks if name not in present]
    problems += [f"{name}: a block, but no such command" for name in present if name not in blocks]
    problems += [
        f"{name}: the block is not the CLI's (an option added, renamed or its help changed?)"
        for name, body in present.items()
        if name in blocks and body != blocks[name]
    ]
    order = [name for name in present if name in blocks]
    if not problems and order != [name for name in blocks if name in present]:
        problems.append("the blocks are not in the CLI's order")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m carrousel_devdata.readme_commands [--check] [DOMAIN...]``; 0, or 1 when ``--check`` fails."""
    parser = argparse.ArgumentParser(
        prog="python -m carrousel_devdata.readme_commands",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "domains", nargs="*", metavar="DOMAIN", help=f"one of {', '.join(DOMAINS)} (default: all)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report READMEs that are not the generated text"
    )
    args = parser.parse_args(argv)
    unknown = [d for d in args.domains if d not in DOMAINS]
    if unknown:
        parser.error(f"no such domain {', '.join(unknown)}: one of {', '.join(DOMAINS)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    failed = False
    for domain in args.domains or DOMAINS:
        path = readme_path(domain)
        if args.check:
            for problem in check(domain):
                failed = True
                log.error("packages/%s/README.md: %s", domain, problem)
            continue
        from carrousel.core.atomic import atomic_write_text

        text = path.read_text(encoding="utf-8")
        try:
            new = rewrite(text, render_blocks(domain))
        except ValueError as e:
            log.error("packages/%s/README.md: %s", domain, e)
            failed = True
            continue
        if new != text:
            atomic_write_text(path, new)
            log.info("packages/%s/README.md: rewritten", domain)
    if failed and args.check:
        log.error("run: python -m carrousel_devdata.readme_commands")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
