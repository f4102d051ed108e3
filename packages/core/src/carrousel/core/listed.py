"""One item where a list of them is meant, refused at the call in one line (:func:`check_listed`).

A function that takes a list of texts or of file paths iterates it: given one ``str`` it would read it letter
by letter (five results for the five letters of one text, a file for each character of one path), given None
it would fail deep inside with ``'NoneType' object is not iterable``. Such an entry point returns one result
per item, so one item is refused rather than wrapped (the caller would get a list where it expected one
result); a config field that holds a tuple of names takes one string as that one item instead
(:mod:`carrousel.core.config_text`). The domain names its items; core holds the check and its words once.
Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable

from carrousel.core.args import check_args

__all__ = ["check_listed"]


@check_args
def check_listed(
    value: object,
    single: type | tuple[type, ...],
    error: type[Exception],
    item: str,
    one: str = "",
    where: str = "",
    show: bool = False,
) -> None:
    """Refuses ``value`` when it is one item (an instance of ``single``) or nothing iterable, where a list of
    items is meant.

    Args:
        value: what the caller passed.
        single: the types of one item (``str | bytes`` for a text, with ``os.PathLike`` for a path).
        error: the exception raised (the domain's).
        item: the item in words, singular (``"text"``, ``"path"``; the list is of ``item`` + ``s``).
        one: what one item is called when it is passed alone, if not ``item`` (``"string"``).
        where: what was checked, before the message (``"input"``); empty: the message alone.
        show: the single item is shown after the fix (a path; not a text, which may be long).

    Raises:
        error: ``[where: ]got one <one>, not a list of <item>s; pass [<item>][ (<value>)]``, or
            ``[where: ]got <value>, not a list of <item>s; pass [<item>, ...]`` (its first 40 characters).
    """
    prefix = f"{where}: " if where else ""
    if isinstance(value, single):
        shown = f" ({value!s})" if show else ""
        raise error(f"{prefix}got one {one or item}, not a list of {item}s; pass [{item}]{shown}")
    if not isinstance(value, Iterable):  # before: TypeError "'NoneType' object is not iterable"
        raise error(f"{prefix}got {value!r:.40}, not a list of {item}s; pass [{item}, ...]")
