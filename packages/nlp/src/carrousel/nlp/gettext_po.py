"""The messages of a gettext catalogue's source (``.po``), as msgfmt would compile them.

:func:`po_entries` gives the raw entries of the ``.mo`` file that ``msgfmt`` (GNU gettext 0.21) writes from a
``.po`` source, and :func:`po_catalogue` reads them with the ``.mo`` reader's rules
(:func:`carrousel.nlp.gettext_mo.catalogue_messages`), so a ``.po`` and its ``.mo`` give the same messages
in the same order. As msgfmt does, without ``--use-fuzzy``:

* fuzzy entries (``#, fuzzy``: drafts) are left out, except the header, which is read even when fuzzy;
  obsolete entries (``#~``) and untranslated ones are left out too; every other comment (``#|`` previous
  msgids included) is ignored;
* those msgfmt stores apart as system-dependent (a ``c-format`` message with an ``<inttypes.h>`` macro,
  ``%<PRIuMAX>``, or a translation using the ``I`` flag) come after the others, in the file's order, their
  macros expanded in the msgid and translations as the ``.mo`` reader expands them (``%<PRIuMAX>`` ->
  ``%lu``: :func:`carrousel.nlp.gettext_mo.sysdep_segment`; ``msgid_plural`` is kept as msgfmt keeps it);
  one with a macro that is not known is left out, as the ``.mo`` reader leaves it out;
* a context is stored as ``msgctxt\\x04msgid``, plural forms as ``msgid\\x00msgid_plural`` ->
  ``msgstr[0]\\x00msgstr[1]...``, and the entries are sorted by their key's bytes (msgfmt's order);
* strings are C strings: ``\\n \\t \\r \\a \\b \\f \\v \\\\ \\"``, up to three octal digits and ``\\x`` with any
  number of hex digits (the value's low byte), in the charset the header declares.

:func:`po_layout` gives the same parser's entries with the lines each spans (for writing a file back with a
few entries changed, :mod:`carrousel.nlp.pipeline.translate_po`).

A file msgfmt would refuse (a string left open, a ``msgid`` without ``msgstr``, an unknown escape, two
definitions of one message) raises a :class:`ValueError` naming its line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from carrousel.core.args import check_args
from carrousel.nlp.gettext_mo import catalogue_messages, header_charset, plural_messages, sysdep_segment

__all__ = ["PoEntries", "PoLayout", "PoMessage", "po_catalogue", "po_entries", "po_layout"]

_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?=[\s\"]|$)")
_STRING = re.compile(r'[ \t]*"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(?:([ntrabfv\\\"])|([0-7]{1,3})|x([0-9a-fA-F]+)|(.?))")
_SIMPLE = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, '"': 34}
# a C format directive up to its conversion: "<" starts an <inttypes.h> macro (%<PRIuMAX>)
_C_DIRECTIVE = re.compile(
    r"%(?:%|(?:\d+\$)?([-+ #0'I]*)(?:\d+|\*(?:\d+\$)?)?(?:\.(?:\d+|\*(?:\d+\$)?)?)?(?:hh|ll|[hlLqjzZt])?(<)?)"
)
_C_FORMATS = {"c-format", "possible-c-format", "objc-format", "possible-objc-format"}
# charsets whose multibyte characters may hold a byte of ASCII's range (a backslash, a quote)
_ASCII_UNSAFE = {  # Python's codec names
    *("big5", "big5hkscs", "cp932", "cp949", "cp950", "gb18030", "gbk", "johab"),
    *("shift_jis", "shift_jis_2004", "shift_jisx0213"),
}


@dataclass
class _Message:
    line: int  # where its first keyword stands
    flags: set[str]
    parts: dict[str, bytes] = field(default_factory=dict)  # msgctxt, msgid, msgid_plural, msgstr, msgstr[N]
    last: str = ""  # the keyword continuation strings extend
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # keyword -> its first and last line
    flags_line: int | None = None  # the entry's last "#," comment line
    previous_line: int | None = None  # its first "#|" comment line (previous msgid)


@dataclass(frozen=True)
class PoEntries:
    """The entries msgfmt compiles from a ``.po`` file, and what it leaves out."""

    entries: list[tuple[bytes, bytes]]  # (key, value) as a .mo file stores them, sorted by key
    left_out: dict[str, int]  # fuzzy, obsolete, untranslated, unknown macro: messages per reason


@dataclass(frozen=True)
class PoMessage:
    """Where one (non-obsolete) entry of a ``.po`` file lies, and its strings; lines count from 1."""

    msgid: str  # decoded in the file's charset, its context apart
    context: str | None  # msgctxt, None without one
    plural: bool  # has msgid_plural (msgstr[N] forms)
    msgstr: str  # the translation ("" untranslated); a plural's msgstr[0]
    flags: frozenset[str]  # of its "#," comments (fuzzy, c-format...)
    line: int  # its first keyword's line (msgctxt or msgid)
    msgstr_lines: tuple[int, int]  # first and last line of its msgstr (msgstr[0] for a plural)
    flags_line: int | None  # its last "#," line; None without one
    previous_line: int | None  # its first "#|" line; None without one


@dataclass(frozen=True)
class PoLayout:
    """The entries of a ``.po`` file with their lines (:func:`po_layout`)."""

    charset: str  # the Python codec of the header's charset (UTF-8 for a template's placeholder)
    template: bool  # the header declares the template's placeholder charset=CHARSET
    messages: list[PoMessage]  # in file order, the header (empty msgid) included


@check_args
def po_layout(raw: bytes, template_ok: bool = False) -> PoLayout:
    """Every non-obsolete entry of the ``.po`` file ``raw`` with the lines it spans, read by the parser
    :func:`po_entries` uses (its checks included). With ``template_ok``, a header declaring the template's
    placeholder ``charset=CHARSET`` (a ``.pot``) reads as UTF-8 instead of failing.

    Raises:
        ValueError: as :func:`po_entries`.
    """
    charset, messages, _, template = _read(raw, template_ok)
    found = []
    for m in messages:
        try:
            strings = {k: v.decode(charset) for k, v in m.parts.items()}
        except UnicodeDecodeError:
            raise ValueError(f"line {m.line}: an escape gives bytes that are not {charset} text") from None
        first = "msgstr" if "msgstr" in m.parts else "msgstr[0]"
        found.append(
            PoMessage(
                msgid=strings["msgid"],
                context=strings.get("msgctxt"),
                plural="msgid_plural" in m.parts,
                msgstr=strings.get(first, ""),
                flags=frozenset(m.flags),
                line=m.line,
                msgstr_lines=m.spans[first],
                flags_line=m.flags_line,
                previous_line=m.previous_line,
            )
        )
    return PoLayout(charset=charset, template=template, messages=found)


def po_catalogue(raw: bytes) -> tuple[list[tuple[str, str]], str | None, dict[str, int]]:
    """``(msgid, msgstr)`` of the singular messages msgfmt would compile, as
    :func:`~carrousel.nlp.gettext_mo.mo_catalogue` reads them from the ``.mo``; the header's language;
    and the messages left out: the plural ones compiled but not read as pairs ("plural"), then those left
    out before compiling (:attr:`PoEntries.left_out`).

    Raises:
        ValueError: a syntax error (its line named), an unknown charset, or text not in it.
    """
    found = po_entries(raw)
    messages, language = catalogue_messages(found.entries)
    return messages, language, {"plural": plural_messages(found.entries), **found.left_out}


def po_entries(raw: bytes) -> PoEntries:
    """The ``.mo`` entries msgfmt writes from the ``.po`` file ``raw`` (see the module docstring).

    Raises:
        ValueError: a syntax error or text not in the declared charset, its line named.
    """
    charset, messages, obsolete, _ = _read(raw)
    left_out = {"fuzzy": 0, "obsolete": obsolete, "untranslated": 0, "unknown macro": 0}
    kept: list[tuple[bytes, bytes]] = []
    apart: list[tuple[bytes, bytes]] = []  # system-dependent ones, expanded
    for m in messages:
        key = _key(m)
        strings = [
            v for k, v in sorted(m.parts.items(), key=lambda kv: _plural_index(kv[0])) if k[:6] == "msgstr"
        ]
        reason = _left_out(m, key, strings)
        if reason:
            left_out[reason] += 1
        elif key and m.flags & _C_FORMATS and _system_dependent(m, charset):
            expanded = [_expand(v, charset) for v in [m.parts.get("msgid", b""), *strings]]
            if None in expanded:
                left_out["unknown macro"] += 1
                continue
            full = [v for v in expanded if v is not None]
            written = key.split(b"\x00")
            written[0] = (m.parts["msgctxt"] + b"\x04" if "msgctxt" in m.parts else b"") + full[0]
            apart.append((b"\x00".join(written), b"\x00".join(full[1:])))
        else:
            kept.append((key, b"\x00".join(strings)))
    kept.sort()
    kept += apart  # in the file's order, as msgfmt writes them
    return PoEntries(entries=kept, left_out=left_out)


def _read(raw: bytes, template_ok: bool = False) -> tuple[str, list[_Message], int, bool]:
    """The charset, messages and number of obsolete entries of a ``.po`` file, each message defined once;
    and whether its header holds the template's ``charset=CHARSET`` (read as UTF-8 with ``template_ok``)."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    as_bytes = raw.decode("latin-1")  # one character per byte: strings encode back to the file's bytes
    first, _ = _parse(as_bytes, "latin-1", first_only=True)  # the header, written first
    if not first or _key(first[0]) != b"":
        first, _ = _parse(as_bytes, "latin-1")
    header = next((m.parts.get("msgstr", b"") for m in first if _key(m) == b""), b"")
    template = template_ok and re.search(rb"charset=\s*CHARSET\b", header) is not None
    charset = "utf-8" if template else header_charset(header)
    try:
        text = raw.decode(charset)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValueError(
            f"line {line} is not {charset} text (the header's charset, UTF-8 when it names none); fix the "
            "header's charset or convert the file (msgconv --to-code=UTF-8)"
        ) from None
    if charset in _ASCII_UNSAFE:
        messages, obsolete = _parse(text, charset)  # a trail byte may be a backslash: read characters
    else:
        messages, obsolete = _parse(as_bytes, "latin-1")
    defined: dict[bytes, int] = {}  # msgctxt\x04msgid -> line: one definition each, as msgfmt requires
    for m in messages:
        identity = _key(m).split(b"\x00")[0]
        if identity in defined:
            raise ValueError(
                f"line {m.line}: a second definition of a message (the first at line {defined[identity]}); "
                "remove one (msguniq merges them)"
            )
        defined[identity] = m.line
    return charset, messages, obsolete, template


def _left_out(m: _Message, key: bytes, strings: list[bytes]) -> str:
    """Why msgfmt leaves message ``m`` out of the ``.mo`` ("" when it compiles it): the header always goes in."""
    if not key:
        return ""
    if not strings[0]:
        return "untranslated"
    if "fuzzy" in m.flags:
        return "fuzzy"
    return ""


def _plural_index(keyword: str) -> int:
    return int(keyword[7:-1]) if keyword.startswith("msgstr[") else -1


def _key(m: _Message) -> bytes:
    key = m.parts.get("msgid", b"")
    if "msgctxt" in m.parts:
        key = m.parts["msgctxt"] + b"\x04" + key
    if "msgid_plural" in m.parts:
        key += b"\x00" + m.parts["msgid_plural"]
    return key


def _system_dependent(m: _Message, charset: str) -> bool:
    """Whether msgfmt stores the C-format message ``m`` apart: an ``<inttypes.h>`` macro in any of its
    strings, or the ``I`` (locale digits) flag in a translation."""
    for keyword, value in m.parts.items():
        if keyword == "msgctxt":
            continue
        for directive in _C_DIRECTIVE.finditer(value.decode(charset, errors="replace")):
            if directive.group(2) or (keyword[:6] == "msgstr" and "I" in (directive.group(1) or "")):
                return True
    return False


def _expand(value: bytes, charset: str) -> bytes | None:
    """A C-format string of a system-dependent message with its ``<inttypes.h>`` macros expanded
    (``%<PRIuMAX>`` -> ``%lu``), as the ``.mo`` reader expands msgfmt's segments; None for an unknown one."""
    text = value.decode(charset, errors="surrogateescape")
    pieces, at = [], 0
    for directive in _C_DIRECTIVE.finditer(text):
        close = text.find(">", directive.end())
        if not directive.group(2) or close < 0:
            continue
        expansion = sysdep_segment(text[directive.end() : close])
        if expansion is None:
            return None
        pieces += [text[at : directive.end() - 1], expansion]
        at = close + 1
    return "".join([*pieces, text[at:]]).encode(charset, errors="surrogateescape")


def _parse(text: str, charset: str, first_only: bool = False) -> tuple[list[_Message], int]:
    """The messages of a ``.po`` text (obsolete ones left out) and how many obsolete ones it holds; with
    ``first_only``, its first message alone (read up to where the second starts)."""
    messages: list[_Message] = []
    current: _Message | None = None
    flags: set[str] = set()
    flags_line: int | None = None
    previous_line: int | None = None
    obsolete = 0
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if stripped.startswith("#~"):
                obsolete += bool(re.match(r"#~\s*msgid\s", stripped))
                flags, flags_line, previous_line = set(), None, None
            elif stripped.startswith("#,"):
                flags |= {f.strip() for f in stripped[2:].split(",")}
                flags_line = number
            elif stripped.startswith("#|") and previous_line is None:
                previous_line = number
            continue
        keyword = _KEYWORD.match(stripped)
        if keyword is None and not stripped.startswith('"'):
            word = stripped.split()[0]
            raise ValueError(
                f"line {number}: unknown keyword {word!r}; a .po entry holds msgctxt, msgid, msgstr"
            )
        value = _strings(stripped[keyword.end() :] if keyword else stripped, number, charset)
        if keyword is None:
            if current is None or not current.last:
                raise ValueError(f"line {number}: a string outside any entry; start it with msgid or msgstr")
            current.parts[current.last] += value
            current.spans[current.last] = (current.spans[current.last][0], number)
            continue
        name = keyword.group(1)
        if name == "msgctxt" or (name == "msgid" and (current is None or set(current.parts) != {"msgctxt"})):
            if current is not None:
                _check_complete(current)
                messages.append(current)
                if first_only:
                    return messages, obsolete
            current = _Message(line=number, flags=flags, flags_line=flags_line, previous_line=previous_line)
            flags, flags_line, previous_line = set(), None, None
        else:
            current = _continued(current, name, number)
        current.parts[name] = value
        current.spans[name] = (number, number)
        current.last = name
    if current is not None:
        _check_complete(current)
        messages.append(current)
    return messages, obsolete


def _continued(current: _Message | None, name: str, number: int) -> _Message:
    """The entry that keyword ``name`` (not one starting an entry) at line ``number`` goes on."""
    if current is None or ("msgid" not in current.parts and name != "msgid"):
        raise ValueError(f"line {number}: {name} without a msgid before it; write msgid first")
    if name in current.parts:
        raise ValueError(
            f"line {number}: a second {name} in one entry; an entry holds one msgid and its msgstr"
        )
    if name == "msgid_plural" and _has_msgstr(current):
        raise ValueError(f"line {number}: msgid_plural after a msgstr; write it right after the msgid")
    return current


def _has_msgstr(m: _Message) -> bool:
    return any(k[:6] == "msgstr" for k in m.parts)


def _check_complete(m: _Message) -> None:
    if "msgid" not in m.parts:
        raise ValueError(f"line {m.line}: msgctxt without a msgid; give the message its msgid and msgstr")
    plural = "msgid_plural" in m.parts
    if not _has_msgstr(m):
        raise ValueError(f'line {m.line}: msgid without a msgstr; give it one (msgstr "" when untranslated)')
    if plural != ("msgstr" not in m.parts):
        what = "msgid_plural with a plain msgstr" if plural else "msgstr[N] without a msgid_plural"
        raise ValueError(
            f"line {m.line}: {what}; a plural message has msgid_plural and msgstr[0], msgstr[1]..."
        )


def _strings(rest: str, number: int, charset: str) -> bytes:
    """The bytes of the C strings on one line (``"a" "b"``: concatenated), escapes decoded."""
    out = bytearray()
    at = 0
    while at < len(rest.rstrip()):
        found = _STRING.match(rest, at)
        if found is None:
            raise ValueError(
                f"line {number}: expected a string between double quotes (a quote left open, or text after "
                'it); write "text", with \\" for a quote inside'
            )
        out += _unescape(found.group(1), number, charset)
        at = found.end()
    if not out and not rest.strip().startswith('"'):
        raise ValueError(f'line {number}: a keyword without its string; write it as msgid "text"')
    return bytes(out)


def _unescape(body: str, number: int, charset: str) -> bytes:
    out = bytearray()
    at = 0
    for esc in _ESCAPE.finditer(body):
        out += body[at : esc.start()].encode(charset)
        simple, octal, hexa, bad = esc.groups()
        if simple:
            out.append(_SIMPLE[simple])
        elif octal:
            out.append(int(octal, 8) & 0xFF)
        elif hexa:
            out.append(int(hexa, 16) & 0xFF)
        else:
            raise ValueError(
                f"line {number}: invalid escape \\{bad} in a string; write \\\\ for a backslash "
                '(C escapes: \\n \\t \\" \\\\ \\ooo \\xhh)'
            )
        at = esc.end()
    out += body[at:].encode(charset)
    return bytes(out)
