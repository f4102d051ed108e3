"""Fill the untranslated messages of a gettext catalogue (``.po``, or a template ``.pot``) with a translator.

Every entry with an empty ``msgstr`` whose ``msgid`` is a message the model translates (the rules of the
pairs reader, :func:`carrousel.nlp.gettext_pairs.message_problem`: single-line, a letter outside printf
placeholders; not a plural, not the header) gets the model's translation, marked ``fuzzy`` (merged into
the entry's ``#,`` line, or on a new one): msgfmt leaves fuzzy entries out of the compiled ``.mo`` until a
reviewer removes the flag, so a machine translation never ships unread. Every other line of the file is
written back byte for byte (comments, references, translated entries, fuzzy drafts, obsolete entries,
plurals, line endings), and the translations are encoded in the file's charset: one the charset cannot
hold leaves its entry untranslated ("unencodable"). A ``msgid`` starting or ending with whitespace (a
line break) gives the translation the same start and end, as ``msgfmt --check`` requires.

A template's header is filled where it must be for the output to hold translations: the placeholder
``charset=CHARSET`` becomes ``charset=UTF-8`` and an empty ``Language:`` takes the model's target language;
its other fields (``Plural-Forms``, ``Last-Translator``...) are left for the translator (or msginit).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carrousel.core.paths import user_path
from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import message_problem, po_bytes
from carrousel.nlp.gettext_po import PoLayout, PoMessage, po_layout

if TYPE_CHECKING:
    from carrousel.nlp.pipeline.translate import Translator

__all__ = ["PoFill", "fill_po", "fill_po_file"]

BLOCK = 1024  # messages translated per call of the translator
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b"}
_ESCAPES |= {"\f": "\\f", "\v": "\\v"}
_CONTROL = re.compile(r'[\\"\x00-\x1f\x7f]')


@dataclass(frozen=True)
class PoFill:
    """A filled catalogue and what was done to it."""

    data: bytes  # the output file's bytes
    filled: int  # entries given a machine translation (flagged fuzzy)
    translated: int  # entries already translated, fuzzy drafts included (written back as they were)
    drafts: int  # of those, fuzzy drafts
    left: dict[str, int] = field(default_factory=dict)  # untranslated entries left so, per reason
    template: bool = False  # the input's header held charset=CHARSET (now UTF-8)

    def summary(self) -> dict[str, Any]:
        """The counts, as ``--json`` prints them."""
        return {
            "filled": self.filled,
            "left_untranslated": sum(self.left.values()),
            "left_reasons": dict(self.left),
            "already_translated": self.translated,
            "fuzzy_drafts": self.drafts,
            "template": self.template,
        }

    def line(self) -> str:
        """One line of the counts: filled, left untranslated (why), already translated."""
        why = ", ".join(f"{n} {reason}" for reason, n in self.left.items() if n)
        left = sum(self.left.values())
        drafts = f" ({self.drafts} fuzzy)" if self.drafts else ""
        return (
            f"filled {self.filled} (fuzzy), left untranslated {left}{f' ({why})' if why else ''}, "
            f"already translated {self.translated}{drafts}"
        )


def fill_po(
    raw: bytes, translate: Callable[[list[str]], Sequence[str]], language: str | None = None
) -> PoFill:
    """The catalogue ``raw`` with its untranslated messages filled by ``translate`` (see the module docstring).

    Args:
        raw: the bytes of a ``.po`` or ``.pot`` file.
        translate: translations of a list of source texts, one each, in order.
        language: the translations' language code, written into an empty ``Language:`` header field.

    Raises:
        ValueError: a line msgfmt would refuse, or text not in the declared charset (its line named).
    """
    layout = po_layout(raw, template_ok=True)
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    lines = raw[len(bom) :].split(b"\n")
    left = {"plural": 0, "multi-line": 0, "no letter": 0, "unencodable": 0, "no translation": 0}
    todo: list[PoMessage] = []
    translated = drafts = 0
    for m in layout.messages:
        if not m.msgid and m.context is None:
            continue  # the header
        if m.msgstr:
            translated += 1
            drafts += "fuzzy" in m.flags
            continue
        reason = "plural" if m.plural else message_problem(m.msgid)
        if reason:
            left[reason] += 1
        else:
            todo.append(m)
    sources = [m.msgid.strip() for m in todo]
    outputs: list[str] = []
    for at in range(0, len(sources), BLOCK):
        outputs += translate(sources[at : at + BLOCK])
    edits: dict[int, list[bytes]] = {}  # 0-based line -> its replacement lines (none: removed)
    filled = 0
    for m, text in zip(todo, outputs, strict=True):
        text = re.sub(r"\s*[\r\n]\s*", " ", text.strip())  # one line, as its source
        if not text:
            left["no translation"] += 1
            continue
        lead, trail = m.msgid[: len(m.msgid) - len(m.msgid.lstrip())], m.msgid[len(m.msgid.rstrip()) :]
        try:
            body = _c_string(lead + text + trail).encode(layout.charset)
        except UnicodeEncodeError:
            left["unencodable"] += 1
            continue
        _fill_entry(lines, edits, m, body)
        filled += 1
    _fill_header(lines, edits, layout, language)
    out = [new for i, line in enumerate(lines) for new in edits.get(i, [line])]
    data = bom + b"\n".join(out)
    result = PoFill(data, filled, translated, drafts, {k: v for k, v in left.items() if v}, layout.template)
    return result


def fill_po_file(
    path: str | Path, translator: Translator, decode: DecodeConfig, language: str | None = None
) -> PoFill:
    """:func:`fill_po` of the catalogue at ``path`` with a :class:`~carrousel.nlp.pipeline.translate.Translator`
    decoding with ``decode``; ``language`` defaults to the translator's target language.

    Raises:
        TextDataError: a missing or oversized file, or one msgfmt would refuse (its line named).
    """
    p = user_path(path)
    stem = p.name[:-3] if p.name.lower().endswith(".mo") else f"{p.stem}-source"
    raw = po_bytes(p, f"fill its .po source (msgunfmt {p.name} -o {stem}.po writes one)")

    def translate(texts: list[str]) -> list[str]:
        return [r.text for r in translator.translate(texts, decode)]

    try:
        return fill_po(raw, translate, language or translator.tgt)
    except ValueError as exc:
        raise TextDataError(f"{p}: {exc} (msgfmt --check {p.name} shows the same)") from None


def _c_string(text: str) -> str:
    """``text`` between double quotes as msgfmt reads a C string: quote, backslash and controls escaped."""
    return '"' + _CONTROL.sub(lambda c: _ESCAPES.get(c.group(), f"\\{ord(c.group()):03o}"), text) + '"'


def _ending(line: bytes) -> bytes:
    return b"\r" if line.endswith(b"\r") else b""


def _fill_entry(lines: list[bytes], edits: dict[int, list[bytes]], m: PoMessage, body: bytes) -> None:
    """Record the edits giving entry ``m`` the msgstr ``body`` (a quoted C string) and the fuzzy flag."""
    first, last = m.msgstr_lines[0] - 1, m.msgstr_lines[1] - 1
    keyword = lines[first]
    indent = keyword[: len(keyword) - len(keyword.lstrip())]
    edits[first] = [indent + b"msgstr " + body + _ending(keyword)]
    for i in range(first + 1, last + 1):
        edits[i] = []  # continuation strings of the empty msgstr
    if "fuzzy" in m.flags:
        return
    if m.flags_line is not None:
        i = m.flags_line - 1
        flags = lines[i]
        at = flags.index(b"#,") + 2
        edits[i] = [flags[:at] + b" fuzzy," + flags[at:]]
        return
    i = (m.previous_line or m.line) - 1  # "#," goes before the "#|" previous msgid, as msgmerge writes it
    edits[i] = [b"#, fuzzy" + _ending(lines[i]), *edits.get(i, [lines[i]])]


def _fill_header(
    lines: list[bytes], edits: dict[int, list[bytes]], layout: PoLayout, language: str | None
) -> None:
    """A template's placeholder charset -> UTF-8 and an empty ``Language:`` -> ``language``, in the header."""
    header = next((m for m in layout.messages if not m.msgid and m.context is None), None)
    if header is None:
        return
    for i in range(header.msgstr_lines[0] - 1, header.msgstr_lines[1]):
        line = edits.get(i, [lines[i]])
        new = [re.sub(rb"charset=CHARSET\b", b"charset=UTF-8", x) if layout.template else x for x in line]
        if language and re.fullmatch(r"[A-Za-z]{2,3}([_@-]\w+)?", language):
            new = [
                re.sub(rb'^(\s*"Language:)[ \t]*(\\n")', rb"\1 " + language.encode() + rb"\2", x) for x in new
            ]
        if new != [lines[i]]:
            edits[i] = new
