"""The `--json` keys a domain README's Commands section lists per command, and their check against a document.

Each command's section ends with a paragraph saying what it prints and writes, then ``--json``: its keys, in
backticks, top level first; a key followed by a parenthesis of keys lists its items' keys (``members`` (per
member: ...)); ``(and `k` ...)`` lists a key printed only sometimes; ``(`a` or `b`)`` lists values, not keys.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PACKAGES = Path(__file__).resolve().parents[1] / "packages"
KEY = re.compile(r"`([^`]+)`")


def section(domain: str, command: str) -> str:
    """The text of ``### `command``` in ``domain``'s README, up to the next heading."""
    text = (PACKAGES / domain / "README.md").read_text(encoding="utf-8")
    return text.split(f"### `{command}`\n", 1)[1].split("\n#", 1)[0]


def _split_top(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (plain text at depth 0, the parenthesis after it) pairs."""
    out, depth, plain, inner = [], 0, "", ""
    for ch in text:
        if ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                out.append((plain, inner))
                plain, inner = "", ""
                continue
        if depth:
            inner += ch
        else:
            plain += ch
    out.append((plain, inner))
    return out


def listed(domain: str, command: str, marker: str = "`--json`") -> dict[str, Any]:
    """``{"list": bool, "keys": set, "optional": set, "nested": {key: set of item keys}, "nested_optional":
    {key: set of item keys printed only sometimes}}`` from the README: the keys after ``marker`` (e.g.
    "`--json` with `--per-step`") up to the end of its sentence."""
    para = [p for p in section(domain, command).split("\n\n") if marker in p][-1]
    rest = para.split(marker, 1)[1]
    head, _, body = rest.partition(": ")  # the keys follow the first colon ...
    while "`" not in body.split(":", 1)[0] and ":" in body.split("`", 1)[0]:
        body = body.split(":", 1)[1]  # ... or a later one ("a list, one entry per group: ...")
    is_list = "a list" in head + rest.split("`", 1)[0] + body.split("`", 1)[0]
    keys: set[str] = set()
    optional: set[str] = set()
    nested: dict[str, set[str]] = {}
    nested_optional: dict[str, set[str]] = {}
    for plain, inner in _split_top(body):
        end = re.search(r"\.(\s|$)|;", plain)  # the list ends with its sentence
        names = KEY.findall(plain[: end.start()] if end else plain)
        keys.update(names)
        if end:
            break
        if not inner or not names:
            continue
        if inner.lstrip().startswith("and "):
            optional.update(k for k in KEY.findall(inner) if not k.startswith("-"))
            continue
        items = inner.split(":", 1)[1] if ":" in inner else inner
        inner_keys, inner_optional = _item_spec(items)
        inner_keys += ["..."] if inner.rstrip().endswith("...") else []
        if not inner_keys or (" or " in inner and "," not in inner):
            continue  # values, not keys
        last = [n for n in names if plain.rstrip().endswith(f"`{n}`")]
        targets = names[-2:] if re.search(r"`[^`]+` and `[^`]+`\s*$", plain) else last
        for name in targets:
            nested[name] = set(inner_keys)
            nested_optional[name] = inner_optional
    return {
        "list": is_list,
        "keys": keys,
        "optional": optional,
        "nested": nested,
        "nested_optional": nested_optional,
    }


def _item_spec(items: str) -> tuple[list[str], set[str]]:
    """An item's keys (``transcripts`` (one entry per recording: `path`, `text` (and `words` with
    `--timestamps`))): those at its own level, and those of an ``(and ...)`` (printed only sometimes); a
    key's own parenthesis (``samples`` (`name`, `cached`)) lists its items' keys, a level further down."""
    keys: list[str] = []
    optional: set[str] = set()
    for plain, paren in _split_top(items):
        keys += KEY.findall(plain)
        if paren.lstrip().startswith("and "):
            optional.update(k for k in KEY.findall(paren) if not k.startswith("-"))
    return keys, optional


def _item_keys(value: Any, want: set[str]) -> set[str]:
    if isinstance(value, list):
        return set().union(*(v.keys() for v in value if isinstance(v, dict)))
    if isinstance(value, dict):
        if set(value) & (want - {"..."}) or not all(isinstance(v, dict) for v in value.values()):
            return set(value)
        return set().union(*(v.keys() for v in value.values()))
    return set()


def differences(domain: str, command: str, document: Any, marker: str = "`--json`") -> list[str]:
    """How ``document`` (a command's parsed ``--json``) differs from the README's list, one line each."""
    spec = listed(domain, command, marker)
    if spec["list"] != isinstance(document, list):
        return [
            f"{command}: the README says {'a list' if spec['list'] else 'an object'}, printed {type(document)}"
        ]
    docs = document if isinstance(document, list) else [document]
    docs = [d for d in docs if isinstance(d, dict)]
    got = set().union(*(d.keys() for d in docs)) if docs else set()
    out = []
    extra = sorted(got - spec["keys"] - spec["optional"])
    missing = sorted(spec["keys"] - got)
    if extra:
        out.append(f"{command}: printed, not in the README: {extra}")
    if missing:
        out.append(f"{command}: in the README, not printed: {missing}")
    for key, want in spec["nested"].items():
        values = [d[key] for d in docs if key in d and d[key] is not None]
        if not values:
            continue
        have = set().union(*(_item_keys(v, want) for v in values))
        if "..." in want:
            lack = sorted(want - {"..."} - have)
            more: list[str] = []
        else:
            lack, more = sorted(want - have), sorted(have - want - spec["nested_optional"][key])
        if lack or more:
            out.append(f"{command} {key}: README lists not printed {lack}, printed not listed {more}")
    return out
