"""Usage (synopsis) lines, told by the source's shape alone (``DecodeConfig.usage_dictionary``).

A usage line (``alias [-p] [name[=value] ... ]``, ``git add [<options>] [--] <pathspec>...``) names a command
and its options: nothing in it is prose, and a translation keeps it word by word, which the word dictionary
does and a network, copying the command name and the brackets piece by piece, often does not. The shape:

* the first token is a command word: a lowercase letter, then letters, digits, ``_`` or ``-``;
* the rest is made only of options (``-x``, ``--long``, ``--long=value``), groups ``[...]`` and ``<...>``
  (nested, their contents of the same tokens), ``|``, ``...``, ``=`` and bare words: no other character
  (no ``%``, ``:``, ``,``, ``;``, quotes, no final ``.``);
* it holds at least one group, and at least one ``[...]`` group or option;
* the bare words outside the groups (after the command word) are no more than the top-level groups, so
  prose that starts with a command-like word and holds a bracket (``use [-f] to force it``) is not one.

:func:`command_span` finds a usage line's command words (``DecodeConfig.usage_commands`` keeps them as
written): the lowercase words before the first option, group, ``|`` or ``...`` (``git remote add [-t <branch>]``:
``git remote add``). Sub-command words count: in the 163 usage lines of git's German training split, the
first word stands unchanged in 157 targets and the first two, or three, words in every one of those that
has them (157 and 47); the 6 others are prose the shape takes in (``no <cmd> given for --extcmd=<cmd>``).
:func:`command_spans` finds every command of the line: the first, and the same command words again after
an ``or`` outside the groups (``history [-c] [n] or history -anrw [filename]``: both ``history``). None of
git's 163 training usage lines has a second command; git joins its usage lines with ``or: %s`` (a training
pair: ``oder: %s``, the ``or`` translated, the command after it a usage line's, kept as written), and its
one message of several (``git rev-parse --parseopt ...`` then ``or: git rev-parse --sq-quote ...``, left
out of the pairs by the length cleaning) keeps each ``git rev-parse`` and has ``oder:`` for ``or:``.

Example:
    >>> is_usage_line("unalias [-a] name [name ...]")
    True
    >>> is_usage_line("could not read [%s]")
    False
    >>> text = "git remote add [-t <branch>] <name>"
    >>> text[: command_span(text)]
    'git remote add'
    >>> command_spans("export [-fn] [name ...] or export -p")
    [(0, 6), (27, 33)]
"""

from __future__ import annotations

import re

__all__ = ["command_span", "command_spans", "is_usage_line"]

_GROUP = "\x00"  # a group already read, in the text around it
_COMMAND = re.compile(r"[a-z][A-Za-z0-9_-]*")
_CONTENT = re.compile(r"[A-Za-z0-9_\s.=|\x00-]*")  # what a group and the rest may hold
_INNER = re.compile(r"\[([^\[\]<>]*)\]|<([^\[\]<>]*)>")  # a group holding no unread group
_OPTION = re.compile(r"--?[A-Za-z0-9][\w-]*(?:=\S*)?")
_WORD = re.compile(r"[A-Za-z][\w-]*")


def is_usage_line(text: str) -> bool:
    """Whether ``text`` has the shape of a usage (synopsis) line (the module's rules)."""
    head, _, rest = text.strip().partition(" ")
    if not _COMMAND.fullmatch(head) or not rest.strip() or _GROUP in text:
        return False
    groups = square = 0
    while True:
        found = _INNER.search(rest)
        if found is None:
            break
        inside = found.group(1) if found.group(1) is not None else found.group(2)
        end = inside.rstrip()
        if not _CONTENT.fullmatch(inside) or (end.endswith(".") and not end.endswith("...")):
            return False  # another character, or a sentence's full stop
        groups += 1
        square += found.group(1) is not None
        rest = rest[: found.start()] + _GROUP + rest[found.end() :]
    if not groups or not _CONTENT.fullmatch(rest):
        return False  # an unread bracket (unbalanced) or another character
    top, bare, options = rest.count(_GROUP), 0, 0
    for token in rest.split():
        core = token.replace(_GROUP, "").replace("...", "")
        if not core or core in ("|", "=", "-", "--"):
            continue
        if _OPTION.fullmatch(core):
            options += 1
        elif _WORD.fullmatch(core.strip("=")):
            bare += 1
        else:
            return False  # a stray '.', digits first, ...
    return bool(square or options) and bare <= top


def command_span(text: str) -> int:
    """The length of a usage line's command words at the start of ``text`` (the module's rules; the
    lowercase words before the first option or group, with the single spaces between them); 0 where
    ``text`` is not a usage line (:func:`is_usage_line`) or starts with a space."""
    if text[:1].isspace() or not is_usage_line(text):
        return 0
    return _words_end(text, 0)


def command_spans(text: str) -> list[tuple[int, int]]:
    """Each command of a usage line as ``(start, end)`` in ``text`` (the module's rules): the first command
    words (:func:`command_span`), then the same words again wherever they follow an ``or`` outside the
    groups (other words after an ``or`` are left); ``[]`` where ``text`` is not a usage line."""
    first = command_span(text)
    if not first:
        return []
    spans, depth = [(0, first)], 0
    for token in re.finditer(r"[\[<]|[\]>]|[^\s\[\]<>]+", text[first:]):
        depth += {"[": 1, "<": 1, "]": -1, ">": -1}.get(token.group(0), 0)
        if depth or token.group(0) != "or":
            continue
        start = first + token.end() + 1  # after "or" and one space
        if text[start - 1 : start] == " " and text[start : _words_end(text, start)] == text[:first]:
            spans.append((start, start + first))
    return spans


def _words_end(text: str, start: int) -> int:
    """Where the run of command words (single spaces between) from ``start`` ends; ``start`` if none."""
    end = start
    for word in re.finditer(r"\S+", text[start:]):
        at = start + word.start()
        if at > (end + 1 if end > start else start) or not _COMMAND.fullmatch(word.group(0)):
            break  # another token (an option, a group...), or more than one space before the word
        end = at + len(word.group(0))
    return end
