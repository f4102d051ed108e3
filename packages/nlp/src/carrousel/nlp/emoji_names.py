"""Emoji read as words: each emoji (or emoji sequence) of a text replaced by its Unicode name, lower case.

A tokenizer trained on text without emoji, and MiniLM's word-piece vocabulary, read every emoji as
``[UNK]``; the name (``😡`` -> ``pouting face``) is made of words such a model knows. :func:`name_emoji`
is the one place this happens; a sentiment bundle records whether its tokenizer does it (the asset
``emoji``: ``"names"`` or ``"keep"``; a bundle without it keeps emoji as written, as before).

What is an emoji here: a run that starts with a character of Unicode's ``Extended_Pictographic`` property
(UTS #51; its ranges are copied below from the ``regex`` module's tables, so the reading never depends on
an installed library), with any variation selectors (U+FE0E, U+FE0F), skin-tone modifiers
(U+1F3FB..U+1F3FF), tag characters (U+E0020..U+E007F, subdivision flags) and ZWJ (U+200D) joins to
further pictographs; a pair of regional indicators (a country flag); a keycap (``0-9 # *``, an optional
U+FE0F, U+20E3). Every other character, accents, CJK, emoticons such as ``:)`` and lone modifiers included,
stays byte for byte as written.

What each becomes (rules, never a per-emoji table):

* a pictograph: its name in Python's ``unicodedata`` (names never change once assigned: Unicode's
  stability policy), lower case, without the generic words ``sign`` and ``symbol`` (``👍`` ``thumbs up
  sign`` -> ``thumbs up``); in the Basic Multilingual Plane also without ``heavy``, ``black`` and ``white``,
  which in those old typographic names say bold, filled and outlined (``❤`` ``heavy black heart`` ->
  ``heart``, ``☺`` ``white smiling face`` -> ``smiling face``; later emoji such as ``🖤`` ``black heart``
  keep their colour). A pictograph Python has no name for (assigned after its Unicode version) is kept;
* the parts of a ZWJ sequence: their names, space-separated (``👨‍👩‍👧`` -> ``man woman girl``); skin tones,
  variation selectors and tags are dropped (``👍🏽`` -> ``thumbs up``, ``🏴󠁧󠁢󠁳󠁣󠁴󠁿`` -> ``waving flag``);
* a flag: ``flag`` (``🇫🇷``; the country's letters mean nothing to a sentiment model);
* a keycap: its key (``1️⃣`` -> ``1``, ``#️⃣`` -> ``#``), what the writer means by it.

A name is set off by one space from any neighbouring character that is not whitespace, so it never fuses
with a word (``great😍`` -> ``great smiling face with heart-shaped eyes``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["EMOJI_MODES", "emoji_name", "name_emoji"]

EMOJI_MODES = ("names", "keep")  # a sentiment bundle's asset ``emoji``; absent: keep (bundles before it)

# Extended_Pictographic as the regex module 2026.12.2 has it: hexadecimal code points and ranges
_PICTOGRAPHIC = (
    "A9 AE 203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3 23F8-23FA 24C2 25AA-25AB "
    "25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D 2620 2622-2623 2626 262A 262E-262F "
    "2638-263A 2640 2642 2648-2653 265F-2660 2663 2665-2666 2668 267B 267E-267F 2692-2697 2699 269B-269C "
    "26A0-26A1 26A7 26AA-26AB 26B0-26B1 26BD-26BE 26C4-26C5 26C8 26CE-26CF 26D1 26D3-26D4 26E9-26EA "
    "26F0-26F5 26F7-26FA 26FD 2702 2705 2708-270D 270F 2712 2714 2716 271D 2721 2728 2733-2734 2744 2747 "
    "274C 274E 2753-2755 2757 2763-2764 2795-2797 27A1 27B0 27BF 2934-2935 2B05-2B07 2B1B-2B1C 2B50 2B55 "
    "3030 303D 3297 3299 1F004 1F02C-1F02F 1F094-1F09F 1F0AF-1F0B0 1F0C0 1F0CF-1F0D0 1F0F6-1F0FF "
    "1F170-1F171 1F17E-1F17F 1F18E 1F191-1F19A 1F1AF-1F1E5 1F201-1F20F 1F21A 1F22F 1F232-1F23A "
    "1F23C-1F23F 1F249-1F25F 1F266-1F321 1F324-1F393 1F396-1F397 1F399-1F39B 1F39E-1F3F0 1F3F3-1F3F5 "
    "1F3F7-1F3FA 1F400-1F4FD 1F4FF-1F53D 1F549-1F54E 1F550-1F567 1F56F-1F570 1F573-1F57A 1F587 "
    "1F58A-1F58D 1F590 1F595-1F596 1F5A4-1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 "
    "1F5DC-1F5DE 1F5E1 1F5E3 1F5E8 1F5EF 1F5F3 1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9 "
    "1F6EB-1F6F0 1F6F3-1F6FF 1F7DC-1F7F0 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F 1F8AE-1F8AF "
    "1F8BC-1F8BF 1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF 1FA58-1FA5F 1FA6E-1FAFF "
    "1FC00-1FFFD "
)
_GENERIC = frozenset({"sign", "symbol"})  # words of a name that say nothing of what is drawn
_TYPOGRAPHIC = frozenset({"heavy", "black", "white"})  # bold / filled / outlined, in BMP symbol names


def _char_class(ranges: str) -> str:
    parts = []
    for item in ranges.split():
        start, _, end = item.partition("-")
        parts.append(re.escape(chr(int(start, 16))) + (f"-{re.escape(chr(int(end, 16)))}" if end else ""))
    return "[" + "".join(parts) + "]"


_PICT = _char_class(_PICTOGRAPHIC)
_EXTEND = "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\u20e3]"  # dropped from a sequence
_ELEMENT = f"{_PICT}{_EXTEND}*"
_EMOJI = re.compile(
    "(?P<keycap>[0-9#*])\ufe0f?\u20e3"
    "|(?P<flag>[\U0001f1e6-\U0001f1ff]{2})"
    f"|(?P<seq>{_ELEMENT}(?:\u200d{_ELEMENT})*)"
)
_FIRST = re.compile(_PICT)


def emoji_name(char: str) -> str | None:
    """The words one pictograph is read as (see the module's rules), or None when Python has no name for it.

    Example:
        >>> emoji_name("👍")
        'thumbs up'
    """
    name = unicodedata.name(char, "")
    if not name:
        return None
    dropped = _GENERIC | (_TYPOGRAPHIC if ord(char) <= 0xFFFF else frozenset())
    words = [w for w in name.lower().split() if w not in dropped]
    return " ".join(words) if words else name.lower()


def _reading(match: re.Match[str]) -> str | None:
    if match["keycap"] is not None:
        return match["keycap"]
    if match["flag"] is not None:
        return "flag"
    names = [emoji_name(c) for c in _FIRST.findall(match["seq"])]
    if any(n is None for n in names):
        return None
    return " ".join(n for n in names if n)


def name_emoji(text: str) -> str:
    """``text`` with every emoji (and emoji sequence) replaced by its name; all else byte-identical.

    Example:
        >>> name_emoji("the movie😡 :)")
        'the movie pouting face :)'
    """
    if text.isascii():  # no emoji is ASCII (the first pictograph is U+00A9): most texts end here, fast
        return text
    out: list[str] = []
    last = 0
    for match in _EMOJI.finditer(text):
        words = _reading(match)
        if words is None:  # a pictograph without a name in this Python: left as written
            continue
        start, end = match.span()
        out.append(text[last:start])
        before = next((not piece[-1].isspace() for piece in reversed(out) if piece), False)
        after = end < len(text) and not text[end].isspace()
        out.append((" " if before else "") + words + (" " if after else ""))
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
