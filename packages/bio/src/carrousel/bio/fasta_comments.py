"""The text checks around FASTA records: comment lines before the first record, and once-per-file warnings.

A FASTA file may open with comment lines starting ``#`` or ``;`` (the old FASTA comment convention;
logomaker's ``crp_sites.fa`` opens with ``#`` lines): they are skipped with one warning naming how many.
Any other text before the first ``>`` header, and a comment line after it (inside a record), is one
:class:`~carrousel.bio.errors.FastaFormatError` naming the file (and the line).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from carrousel.bio.errors import FastaFormatError
from carrousel.core.args import check_args
from carrousel.core.encodings import file_lines
from carrousel.core.option_names import option
from carrousel.core.text import name_some

__all__ = [
    "BEFORE_HEADER_CHARS",
    "after_comments",
    "before_header",
    "comment_inside",
    "is_bed_text",
    "is_comment",
    "warn_all_masked",
    "warn_comments",
    "warn_empty",
]

logger = logging.getLogger(__name__)


# a BED line: chrom, integer start <= end (a point, start == end, is valid BED), tab or space separated
_BED_LINE = re.compile(r"[^\s#;>]\S*[ \t]+(\d+)[ \t]+(\d+)(?:[ \t].*)?")
# lines a BED file may hold besides its regions: track / browser lines, a header naming start and end
_BED_EXTRA = re.compile(r"(track|browser)(\s.*)?|\S+[ \t]+\w*start\w*[ \t]+\w*end\w*(?:[ \t].*)?", re.I)
_BED_LINES_CHECKED = 5  # the first region lines that must all be BED lines
BEFORE_HEADER_CHARS = 1 << 16  # the text before a header that callers hand :func:`before_header`


def is_bed_text(text: str) -> bool:
    """Whether ``text`` (a file's start) is BED: its first region lines, up to five, are all BED lines
    (chrom, integer start <= end, tab or space separated; blank, comment, track, browser and a header line
    naming start and end are passed over), with no '>' header among them. Free text is never guessed
    at: ``seq 1 2`` followed by anything else is not BED."""
    regions = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or is_comment(line) or _BED_EXTRA.fullmatch(line):
            continue
        match = _BED_LINE.fullmatch(line)
        if match is None or int(match[1]) > int(match[2]):
            return False
        regions += 1
        if regions == _BED_LINES_CHECKED:
            break
    return regions > 0


def before_header(path: str | Path, text: str) -> str:
    """The error for text before the first header that is not a comment, quoting its first line; a BED or
    peak file (:func:`is_bed_text`) is named as one, with how to get its sequences (it was 'is this FASTA?
    Delete the lines before the first header').

    Args:
        path: the file, for the message.
        text: the file from that line on (the first :data:`BEFORE_HEADER_CHARS` characters are enough).
    """
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:40]
    if is_bed_text(text[:BEFORE_HEADER_CHARS]):
        return (
            f"{path}: a BED / peak file of regions ({line!r}), not FASTA sequences; write the regions' "
            f"sequences first (bedtools getfasta -fi GENOME.fa -bed {path} -fo peaks.fa) and give that "
            f"FASTA (bio train reads peaks itself: --peaks {path} --genome GENOME.fa)"
        )
    return (
        f"{path}: text before the first '>' header ({line!r}); is this FASTA? Delete the lines before the "
        "first header (only comment lines starting '#' or ';' may come before it)"
    )


def is_comment(line: str) -> bool:
    """Whether ``line`` is a comment line (its first non-blank character ``#`` or ``;``)."""
    return line.lstrip()[:1] in ("#", ";")


@check_args
def comment_inside(path: str | Path, lines: Iterator[str], first_line: int = 1) -> FastaFormatError | None:
    """The error for the first '#'/';' line after the first header (None when there is none).

    Args:
        path: the file, for the message.
        lines: its lines, from ``first_line`` on.
        first_line: the 1-based number of the first of ``lines``.
    """
    record: str | None = None
    for number, line in enumerate(lines, first_line):
        if line.startswith(">"):
            record = line[1:].split()[0] if line[1:].split() else ""
        elif record is not None and is_comment(line):
            return FastaFormatError(
                f"{path}, line {number}: comment line {line.strip()[:40]!r} inside record {record!r}; comment "
                "lines ('#' or ';') may only come before the first '>' header: delete it"
            )
    return None


# (what, file, size, mtime) already reported: once per process, as a scan reads a file twice
_WARNED: set[tuple[str, str, int, int]] = set()


def _first_time(path: str | Path, what: str) -> bool:
    """Whether ``what`` about this version of ``path`` is reported for the first time in this process."""
    try:
        st = Path(path).stat()
        key = (what, str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        key = (what, str(path), 0, 0)
    if key in _WARNED:
        return False
    _WARNED.add(key)
    return True


@check_args
def warn_comments(path: str | Path, comments: int) -> None:
    """One warning (once per file and process) that ``comments`` comment lines were skipped."""
    if comments and _first_time(path, "comments"):
        logger.warning(
            "%s: skipped %d comment line%s ('#' or ';') before the first record",
            path, comments, "s" if comments > 1 else "",
        )  # fmt: skip


def warn_all_masked(path: str | Path) -> None:
    """One warning (once per file and process) that masking lower case left no base of ``path`` (an
    all-lower-case file, such as UCSC's dm3 upstream2000.fa.gz, carries no soft-masking)."""
    if _first_time(path, "all masked"):
        logger.warning(
            "%s: every base is lower case, so %s left nothing to scan; the file is not soft-masked "
            "(repeats in lower case, the rest upper case): scan it without %s",
            path,
            *[option("mask_lower", True, "--mask-lower")] * 2,
        )


def warn_empty(path: str | Path, empty: list[str]) -> None:
    """One warning (once per file and process) naming the records without sequence that were skipped."""
    if not empty or not _first_time(path, "empty"):
        return
    many = len(empty) > 1
    logger.warning(
        "%d FASTA record%s no sequence; skipped: %s",
        len(empty), "s have" if many else " has", name_some(empty, 3, quote=True),
    )  # fmt: skip


def after_comments(path: str | Path, text: str) -> str:
    """``text`` from its first header on, for a reader of a whole file.

    Blank and comment lines before the first header are skipped (one warning naming how many).

    Raises:
        FastaFormatError: another line before the first header, or a comment line after it (naming its line).
    """
    comments = lines = start = 0
    while start < len(text) and not text.startswith(">", start):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        line = text[start:end]
        if line.strip() and not is_comment(line):
            raise FastaFormatError(before_header(path, text[start : start + BEFORE_HEADER_CHARS]))
        comments += bool(line.strip())
        lines += 1
        start = end
    warn_comments(path, comments)
    text = text[start:]
    if re.search(r"^[ \t]*[#;]", text, re.MULTILINE):
        inside = comment_inside(path, iter(file_lines(text)), lines + 1)
        if inside is not None:
            raise inside
    return text
