"""The logo figures of ``bio discover`` (their texts and layout, not their pixels)."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.bio.discover import Discovery, logo_captions
from carrousel.bio.logos import draw_logo
from carrousel.bio.motifs import Motif
from carrousel.bio.tomtom import Match

pytest.importorskip("logomaker")


def _motif(length: int) -> Motif:
    counts = np.full((length, 4), 1.0)
    counts[np.arange(length), np.arange(length) % 4] = 20.0
    return Motif("filter57", "", counts, "model")


def test_logo_positions_count_from_one_and_the_title_names_the_match() -> None:
    """Positions read 0, 2, 4... with no axis name (the report and MEME count from 1), and the title was the
    bare filter ID in 8 points: positions are now 1..L, every one labelled, and the title carries rank,
    sites and the best JASPAR match, wrapped inside the figure."""
    motif = _motif(10)
    match = Match("MA1597.1", "ZNF528", 0, "+", 5.0, 10, 1e-4, 0.065)
    found = Discovery([motif], {"filter57": 161}, {"filter57": [match]})
    caption = logo_captions(found)["filter57"]
    assert caption == "rank 1, 161 sites; best match ZNF528 (MA1597.1, E=0.065)"
    fig = draw_logo(motif, caption)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(1, 11)]
    assert ax.get_xlabel() == "position"
    title = ax.get_title()
    assert title.startswith("filter57: rank 1") and "ZNF528 (MA1597.1" in " ".join(title.split())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert ax.title.get_window_extent(renderer).width <= fig.bbox.width  # wrapped, not past the edges
    assert logo_captions(Discovery([motif], {}, {}))["filter57"] == "rank 1, 0 sites; no match"
    import matplotlib.pyplot as plt

    plt.close(fig)
