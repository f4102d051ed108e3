"""Keyed message catalogues in XML: Android ``strings.xml`` and .NET ``.resx``, each read as ``{key: text}``.

Read through :func:`~carrousel.nlp.tmx_xliff.xml_events` (streamed; a DTD with an internal subset refused;
malformed XML one error naming the file, line and column). Pairs are made by
:mod:`carrousel.nlp.keyed_catalogues`, which joins a source file and a target file by key.

* Android (``res/values/strings.xml``, root ``<resources>``): ``<string name="k">`` is key ``k``;
  ``<string-array name="k">``'s items are ``k[0]``, ``k[1]``...; ``<plurals name="k">`` gives its
  ``quantity="other"`` item (the one quantity CLDR gives every language: Japanese has no ``one``), under key
  ``k``. Entries marked ``translatable="false"`` and resource references (``@string/other``) are left out and
  counted. Text is read as Android's resource compiler reads it: inline markup (``<b>``, ``<xliff:g>``) keeps
  its text, CDATA is text, whitespace runs outside double quotes collapse to one space and the ends are
  trimmed, unescaped double quotes are dropped, and ``\\'`` ``\\"`` ``\\n`` ``\\t`` ``\\@`` ``\\?``
  ``\\\\`` ``\\uXXXX`` are their characters. Format specifiers (``%1$s``) are kept as written.
* .NET (``Resources.resx``, root ``<root>``): each ``<data name="k">``'s ``<value>``; entries with a ``type``
  or ``mimetype`` attribute (images, file references, serialised objects) are not strings, left out and counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import CATALOGUE_MAX_BYTES
from carrousel.nlp.tmx_xliff import Event, local_name, open_xml

__all__ = ["android_text", "read_android", "read_resx"]

_ANDROID_ESCAPES = {"n": "\n", "t": "\t", "'": "'", '"': '"', "@": "@", "?": "?", "\\": "\\"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def android_text(raw: str) -> str:
    """The text Android shows for a ``<string>``'s raw content (see the module docstring).

    Raises:
        ValueError: a ``\\u`` not followed by four hex digits (aapt2 refuses it too).
    """
    out: list[tuple[str, bool]] = []  # (text, kept at the ends): collapsed unquoted whitespace is not
    quoted = False
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt == "u":
                digits = raw[i + 2 : i + 6]
                if not _HEX4.fullmatch(digits):
                    raise ValueError(f"\\u{digits} is not a \\uXXXX escape")
                out.append((chr(int(digits, 16)), True))
                i += 6
                continue
            out.append((_ANDROID_ESCAPES.get(nxt, nxt), True))
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c.isspace() and not quoted:
            if not out or out[-1] != (" ", False):
                out.append((" ", False))
        else:
            out.append((c, True))
        i += 1
    while out and not out[-1][1]:
        out.pop()
    while out and not out[0][1]:
        out.pop(0)
    return "".join(text for text, _ in out)


def _inner(elem: ET.Element) -> str:
    """An element's text with its inline markup's text (tags dropped)."""
    return "".join(elem.itertext())


def _opened(p: Path, want: str, what: str) -> Iterator[Event]:
    """The checked file's XML events after its root element, which must be ``<want>``."""
    events, root = open_xml(p, what, CATALOGUE_MAX_BYTES)
    name = local_name(root.tag)
    if name != want:
        raise TextDataError(f"{p} is XML with a <{name}> root, not {what} (<{want}>); give a {what} file")
    return events


def read_android(path: Path, left_out: Counter[str]) -> dict[str, str]:
    """``{key: text}`` of an Android ``strings.xml``; what is left out is counted in ``left_out``.

    Raises:
        TextDataError: a missing or unreadable file, malformed XML, a DTD, another root, a bad escape.
    """
    events = _opened(path, "resources", "Android strings.xml")
    texts: dict[str, str] = {}
    for event, elem, parent in events:
        if event != "end" or parent is None or local_name(parent.tag) != "resources":
            continue
        kind, name = local_name(elem.tag), elem.get("name")
        if kind not in ("string", "string-array", "plurals") or not name:
            continue
        if elem.get("translatable") == "false":
            left_out["not translatable"] += 1
        elif kind == "string":
            texts[name] = _inner(elem)
        elif kind == "string-array":
            for i, item in enumerate(c for c in elem if local_name(c.tag) == "item"):
                texts[f"{name}[{i}]"] = _inner(item)
        else:
            other = next((c for c in elem if c.get("quantity") == "other"), None)
            if other is None:
                left_out["plurals without other"] += 1
            else:
                texts[name] = _inner(other)
        parent.remove(elem)
    out: dict[str, str] = {}
    for key, raw in texts.items():
        if raw.strip().startswith(("@string/", "@android:string/")):
            left_out["reference"] += 1
            continue
        try:
            out[key] = android_text(raw)
        except ValueError as exc:
            raise TextDataError(f"{path}: <string name={key!r}>: {exc}; fix the escape") from None
    return out


def read_resx(path: Path, left_out: Counter[str]) -> dict[str, str]:
    """``{key: text}`` of a .NET ``.resx``; entries that are no strings are counted in ``left_out``.

    Raises:
        TextDataError: a missing or unreadable file, malformed XML, a DTD, another root.
    """
    events = _opened(path, "root", ".NET .resx")
    texts: dict[str, str] = {}
    for event, elem, parent in events:
        if event != "end" or local_name(elem.tag) != "data" or parent is None:
            continue
        name = elem.get("name")
        value = next((c for c in elem if local_name(c.tag) == "value"), None)
        if elem.get("type") or elem.get("mimetype"):
            left_out["not a string"] += 1
        elif name and value is not None:
            texts[name] = value.text or ""
        parent.remove(elem)
    return texts
