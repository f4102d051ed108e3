"""Hutto & Gilbert's human-rated sentences (VADER's ground truth: movie snippets, tweets, Amazon reviews, NYT
editorials) read from the vaderSentiment source archive, the out-of-domain sets of the sentiment figures
(sample ``nlp.vader_ratings``)."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from pathlib import Path

from carrousel.nlp.errors import TextDataError

__all__ = ["VADER_SETS", "read_vader_ratings"]

VADER_SETS = {  # set name -> file stem in the vaderSentiment source archive (sample nlp.vader_ratings)
    "movies": "movieReviewSnippets",
    "tweets": "tweets",
    "amazon": "amazonReviewSnippets",
    "nyt": "nytEditorialSnippets",
}


def read_vader_ratings(
    archive: str | Path, sets: Sequence[str] = tuple(VADER_SETS)
) -> dict[str, list[tuple[str, float]]]:
    """Hutto & Gilbert's human-rated sentences (each the mean of 20 raters on -4..4) from the
    vaderSentiment source archive: ``{set: [(text, mean rating)]}``, whitespace collapsed.

    Raises:
        TextDataError: the archive is not the vaderSentiment one or a set name is unknown.
    """
    unknown = [name for name in sets if name not in VADER_SETS]
    if unknown:
        raise TextDataError(f"unknown VADER sets {unknown}; choose from {', '.join(VADER_SETS)}")
    out: dict[str, list[tuple[str, float]]] = {}
    try:
        with tarfile.open(archive) as tar:
            for name in sets:
                member = tar.extractfile(f"hutto_ICWSM_2014/{VADER_SETS[name]}_GroundTruth.txt")
                if member is None:
                    raise KeyError(name)
                rows = []
                for line in member.read().decode("latin-1").splitlines():
                    parts = line.split("\t")
                    if len(parts) >= 3 and parts[2].strip():
                        rows.append((" ".join(parts[2].split()), float(parts[1])))
                out[name] = rows
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise TextDataError(f"{archive} is not the vaderSentiment source archive ({exc})") from None
    return out
