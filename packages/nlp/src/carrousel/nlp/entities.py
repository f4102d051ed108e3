"""HTML character references in text from the web, read as the characters they stand for.

Text scraped from web pages often keeps its HTML escapes: drug reviews write ``don&#039;t`` (a sentiment
model reads ``don & # 0 3 9 ; t``, the negation lost), tweets ``&amp;`` and ``&lt;3``. :func:`unescape_entities`
replaces each *complete* reference, one ending in ``;`` (``&#039;``, ``&#x27;``, ``&amp;``, ``&quot;``), by
its character, once (``&amp;#39;`` becomes ``&#39;``, as a browser shows it). A bare ampersand stays: ``AT&T``,
``Q&A``, ``R&D``, and ``&copy`` without its ``;`` (which :func:`html.unescape` would read as ``©``). A name HTML
does not know (``&foo;``) stays as written. Text without ``&`` is returned as it is. :func:`escape_ampersands`
is its inverse: a piece of a text already read (a sentence of it) handed on to code that reads its texts again.
"""

from __future__ import annotations

import html
import re

from carrousel.core.args import check_args

__all__ = ["escape_ampersands", "unescape_entities"]

_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@check_args
def unescape_entities(text: str) -> str:
    """``text`` with each complete HTML character reference (``&#039;``, ``&amp;``) read as its character."""
    if "&" not in text:
        return text
    return _REFERENCE.sub(lambda m: html.unescape(m.group(0)), text)


@check_args
def escape_ampersands(text: str) -> str:
    """``text`` with each ``&`` written ``&amp;``: :func:`unescape_entities` gives ``text`` back exactly, so a
    text read once (``"Great! Really"`` of ``"Great&#33; Really"``, ``"&#39;"`` of ``"&amp;#39;"``) read again
    stays as it was read."""
    return text.replace("&", "&amp;")
