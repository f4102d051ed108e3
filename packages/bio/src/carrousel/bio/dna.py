"""DNA as ``uint8`` codes: encoding and decoding, reverse complements, one-hot arrays and window letters.

Bases are encoded as ``A C G T`` (any case) -> ``0 1 2 3`` (``U`` reads as ``T``); ``N`` and the IUPAC
ambiguity codes ``R Y K M S W B D H V`` (any case) -> ``4`` (never scored as a site). Any other character
is a :class:`~carrousel.bio.errors.FastaFormatError` naming the record and the 1-based position.
"""

from __future__ import annotations

import numpy as np

from carrousel.bio.errors import FastaFormatError
from carrousel.core.args import check_args

__all__ = [
    "ALPHABET",
    "AMBIGUOUS",
    "decode",
    "encode",
    "gc_fraction",
    "mask_lower_case",
    "one_hot",
    "reverse_complement",
    "window_sequences",
]

ALPHABET = "ACGT"
AMBIGUOUS = 4  # the code of N and IUPAC ambiguity letters
_INVALID = 255
_IUPAC = "NRYKMSWBDHV"
_SKIP = b" \t\r\n"  # whitespace removed from sequence lines (CRLF included)

_LUT = np.full(256, _INVALID, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
for _b in _IUPAC:
    _LUT[ord(_b)] = AMBIGUOUS
    _LUT[ord(_b.lower())] = AMBIGUOUS
_LUT[ord("U")] = 3
_LUT[ord("u")] = 3
_TRANSLATE = bytes(_LUT.tolist())  # the same map for bytes.translate (one C pass, whitespace deleted too)
_LUT_MASKED = _LUT.copy()  # soft-masked (lower-case) bases read as N: never part of a site
_lower = np.arange(ord("a"), ord("z") + 1)
_LUT_MASKED[_lower[_LUT[_lower] != _INVALID]] = AMBIGUOUS
_TRANSLATE_MASKED = bytes(_LUT_MASKED.tolist())
_STR_MASKED = str.maketrans(dict.fromkeys(map(chr, _lower[_LUT[_lower] != _INVALID].tolist()), "N"))
_COMPLEMENT = np.array([3, 2, 1, 0, AMBIGUOUS], dtype=np.uint8)


def mask_lower_case(seq: str) -> str:
    """``seq`` with its lower-case (soft-masked) DNA letters as ``N``, as ``--mask-lower`` reads them
    (other characters left for :func:`encode` to check)."""
    return seq.translate(_STR_MASKED)


@check_args
def encode(seq: str | bytes, record: str = "<sequence>", offset: int = 0, *, hint: bool = True) -> np.ndarray:
    """Encodes DNA letters as codes 0..4.

    Args:
        seq: the letters (whitespace is not allowed here).
        record: record name for error messages.
        offset: 0-based position of ``seq[0]`` in the record, for error messages.
        hint: end the error for an alignment gap or a ``*`` with how to remove them (``False`` where the
            caller names its own fix: a genome must keep its positions, so nothing may be removed).

    Returns:
        ``(len(seq),)`` uint8 codes.

    Raises:
        FastaFormatError: on a character that is neither a base nor an IUPAC code.
    """
    if isinstance(seq, str):
        try:
            raw = seq.encode("latin-1")
        except UnicodeEncodeError as exc:  # a character beyond latin-1 is no base either
            raise FastaFormatError(
                f"record {record!r}, position {offset + exc.start + 1}: invalid character "
                f"{seq[exc.start]!r}; expected A, C, G, T, N or an IUPAC code"
            ) from None
    else:
        raw = seq
    return _checked(raw.translate(_TRANSLATE), raw, record, offset, hint)


# What a user most likely holds when one of these turns up, and the fix (the message stays one line).
_HINTS = {
    "-": " (an alignment gap: remove the gaps, e.g. sed '/^>/!s/[-.]//g', or write them as N to keep columns)",
    ".": " (an alignment gap: remove the gaps, e.g. sed '/^>/!s/[-.]//g', or write them as N to keep columns)",
    "*": " (a stop or end-of-sequence mark: remove it, e.g. sed '/^>/!s/[*]//g')",
} | dict.fromkeys(
    "0123456789", " (a line number of GenBank/EMBL text: remove the digits, e.g. sed '/^>/!s/[0-9]//g')"
)


def _checked(coded: bytes, raw: bytes, record: str, offset: int, hint: bool = True) -> np.ndarray:
    """Translated bytes -> writable codes, or the error for the first invalid character.

    Args:
        coded: ``raw`` through ``_TRANSLATE`` (whitespace deleted).
        raw: the letters as read (whitespace is skipped when locating a bad one).
        record: record name for error messages.
        offset: 0-based position of ``coded[0]`` in the record.
        hint: add the fix of :data:`_HINTS` for the character.
    """
    i = coded.find(b"\xff")
    if i >= 0:  # encode keeps whitespace (invalid there): raw is then coded's letter for letter
        char = chr((raw if len(raw) == len(coded) else raw.translate(None, _SKIP))[i])
        raise FastaFormatError(
            f"record {record!r}, position {offset + i + 1}: invalid character {char!r}; "
            "expected A, C, G, T, N or an IUPAC code" + (_HINTS.get(char, "") if hint else "")
        )
    return np.frombuffer(coded, dtype=np.uint8).copy()


def decode(codes: np.ndarray) -> str:
    """Codes 0..4 back to ``ACGTN`` letters."""
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[np.asarray(codes, dtype=np.intp)].tobytes().decode()


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """``(..., n)`` codes -> ``(...)`` share of G and C among the bases other than N (0 where all are N).

    N is no base: a window padded with N, or holding an N run, has the GC content of its sequence.
    """
    codes = np.asarray(codes)
    return ((codes == 1) | (codes == 2)).sum(axis=-1) / np.maximum((codes < 4).sum(axis=-1), 1)


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of ``(..., n)`` codes (N stays N)."""
    return _COMPLEMENT[codes[..., ::-1]]


@check_args
def window_sequences(codes: np.ndarray, starts: np.ndarray, length: int, minus: np.ndarray) -> list[str]:
    """Letters of windows ``codes[s:s+length]``, reverse-complemented where ``minus``.

    Args:
        codes: ``(n,)`` base codes.
        starts: ``(h,)`` window starts.
        length: window length.
        minus: ``(h,)`` bool, read the window on the reverse strand.
    """
    if starts.size == 0:
        return []
    win = codes[starts[:, None] + np.arange(length)[None, :]]
    win = np.where(minus[:, None], reverse_complement(win), win)
    text = decode(win.reshape(-1))
    return [text[i * length : (i + 1) * length] for i in range(starts.size)]


_EYE = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])  # N: all zeros


@check_args
def one_hot(codes: np.ndarray, bases_last: bool = False) -> np.ndarray:
    """``(..., n)`` codes -> ``(..., 4, n)`` float32 one-hot (an N is all zeros).

    With ``bases_last`` the array is ``(..., n, 4)`` (no transposing copy): ``np.swapaxes`` of it is the
    same one-hot in channels-last layout, which the fast convolution of :meth:`DanQ.predict` reads as is.
    """
    out = _EYE[codes]
    return out if bases_last else np.ascontiguousarray(np.moveaxis(out, -1, -2))
