"""Motif logos of ``bio discover``: information-content logos drawn with logomaker and matplotlib (the
``carrousel-bio[discover]`` extra), one PNG file per motif."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.motif_names import motif_label
from carrousel.bio.motifs import Motif
from carrousel.core.optional import require
from carrousel.core.plots import pyplot, save_png, wrap_to

__all__ = ["draw_logo", "logo_libraries", "write_logos"]

_LOGO_EXTRA = ("carrousel-bio[discover]", "drawing motif logos (bio discover)")


def logo_libraries() -> tuple[Any, Any, Any]:
    """``(logomaker, matplotlib.pyplot, pandas)`` with matplotlib on its file backend.

    Raises:
        MissingExtraError: one of them is not installed (the ``carrousel-bio[discover]`` extra).
    """
    plt = pyplot(*_LOGO_EXTRA)
    return require("logomaker", *_LOGO_EXTRA), plt, require("pandas", *_LOGO_EXTRA)


def draw_logo(m: Motif, caption: str = "") -> Any:
    """An information-content logo of ``m`` as a matplotlib figure (y axis in whole bits, 0-2; positions
    numbered from 1, as in the motif files and the report).

    Args:
        m: the motif.
        caption: after the name; each ``; ``-separated part on its own line (``bio discover``: rank and
            sites; the best JASPAR match).

    Raises:
        MissingExtraError: logomaker, matplotlib or pandas is not installed.
    """
    logomaker, plt, pd = logo_libraries()
    f = m.frequencies(pseudocount=0.01)
    ic = 2.0 + np.sum(f * np.log2(f), axis=1)
    df = pd.DataFrame(f * ic[:, None], columns=list("ACGT"))
    width = max(3.0, 0.35 * m.length)
    fig, ax = plt.subplots(figsize=(width, 1.9))
    logomaker.Logo(df, ax=ax)
    ax.set_ylim(0, 2)
    ax.set_yticks([0, 1, 2])  # whole bits
    ax.set_ylabel("bits")
    ax.set_xticks(range(m.length), [str(i + 1) for i in range(m.length)], fontsize=8)
    ax.set_xlabel("position", fontsize=8)
    title = motif_label(m, id_first=True)
    text = f"{title}: {caption}" if caption else title
    ax.set_title(
        "\n".join(wrap_to(part, width, 9, em=0.6, least=24) for part in text.split("; ")), fontsize=9
    )  # a line each
    return fig


def write_logos(
    motifs: list[Motif], folder: Path, captions: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Information-content sequence logos as PNG files ``folder/ID.png`` (logomaker and matplotlib, the
    ``carrousel-bio[discover]`` extra).

    Args:
        motifs: the motifs to draw.
        folder: where the PNG files go (made when missing).
        captions: motif ID -> a caption under its name (see :func:`draw_logo`).

    Returns:
        ``{motif id: path}``.

    Raises:
        MissingExtraError: logomaker, matplotlib or pandas is not installed.
    """
    logo_libraries()  # all three, before the folder is made
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for m in motifs:
        fig = draw_logo(m, (captions or {}).get(m.id, ""))
        out[m.id] = str(save_png(fig, folder / f"{m.id}.png"))
    return out
