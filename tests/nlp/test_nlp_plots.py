"""The PNG charts' figures (their texts and layout, not their pixels): attention cells, confusion matrix,
translation attention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.nlp import plots
from carrousel.nlp.pipeline.translate_types import Translation, attention_plot

pytest.importorskip("matplotlib")


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_attention_tokens_fit_their_cells_and_the_weights_have_a_scale() -> None:
    """A word tokenizer's long words ran over their neighbours ('antidisestablishmentarianism' across three
    cells), and the shades had no scale: each token now fits its cell (cut with '…') and a colour bar says
    what the shades mean."""
    tokens = ["the", "antidisestablishmentarianism", "movie", "was", "incomprehensibly", "great"] * 3
    fig = plots.attention_figure(tokens, np.linspace(0.01, 0.1, len(tokens)), "attention over text 1")
    ax, bar = fig.axes
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    cols = 16
    cell = ax.get_window_extent(renderer).width / cols
    texts = ax.texts
    assert len(texts) == len(tokens)
    assert all(t.get_window_extent(renderer).width < cell for t in texts)
    assert texts[1].get_text() == "antidisest…" and texts[0].get_text() == "the"
    assert bar.get_ylabel() == "attention weight"
    _close(fig)


def test_cut_tokens_are_written_in_full_under_the_cells() -> None:
    """A token cut to fit its cell ('antidisest…') lost its full text in the image; a note under the cells
    now gives each cut token in full, once, and a text with no cut token has no note."""
    tokens = ["the", "antidisestablishmentarianism", "movie", "was", "incomprehensibly", "great"] * 2
    fig = plots.attention_figure(tokens, np.linspace(0.01, 0.1, len(tokens)), "t")
    note = " ".join(fig.axes[0].get_xlabel().split())
    assert note == "cut to fit: antidisest… = antidisestablishmentarianism; incomprehe… = incomprehensibly"
    fig.canvas.draw()  # the note lies inside the image, under the cells
    renderer = fig.canvas.get_renderer()
    label = fig.axes[0].xaxis.label.get_window_extent(renderer)
    assert label.y0 >= 0 and label.y1 < fig.axes[0].get_window_extent(renderer).y0
    _close(fig)
    fig = plots.attention_figure(["a", "fine", "film"], [0.2, 0.3, 0.5], "t")
    assert fig.axes[0].get_xlabel() == ""
    _close(fig)


def test_translation_pieces_read_as_words() -> None:
    """The translation chart labelled pieces with SentencePiece's raw '▁' ('▁un', 'believ'): a word's start
    is now drawn bare and a piece continuing a word after '·', specials and a lone '▁' kept readable."""
    source = ["▁un", "believ", "able", "▁news", ".", "▁"]
    target = ["▁un", "glaub", "lich", "[EOS]"]
    fig = plots.alignment_figure(source, target, np.full((4, 6), 1 / 6).tolist())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["un", "·believ", "·able", "news", "·.", "␣"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["un", "·glaub", "·lich", "[EOS]"]
    _close(fig)
    fig = plots.alignment_figure(["read", "it"], ["lies", "es"], [[1.0, 0.0], [0.0, 1.0]])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["read", "it"]  # no '▁' at all: as is
    _close(fig)


def test_a_short_text_gets_full_width_cells() -> None:
    """Five tokens were drawn in 5.5 inches split into 16 columns (0.3-inch cells, overlapping words)."""
    tokens = ["an", "unexpectedly", "moving", "film", "."]
    fig = plots.attention_figure(tokens, [0.1, 0.4, 0.3, 0.1, 0.1], "t")
    ax = fig.axes[0]
    assert ax.get_images()[0].get_array().shape == (1, 5)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    cell = ax.get_window_extent(renderer).width / 5
    assert all(t.get_window_extent(renderer).width < cell for t in ax.texts)
    _close(fig)


def test_confusion_names_its_data_and_slanted_labels_end_under_their_column() -> None:
    labels = ["anger", "disgust", "fear", "joy", "sadness", "neutral-but-slightly-positive"]
    fig = plots.confusion_figure(np.eye(6, dtype=int).tolist(), labels, "emotions.jsonl")
    ax = fig.axes[0]
    assert ax.get_title() == "confusion matrix: emotions.jsonl (6 texts)"
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == labels
    assert {t.get_horizontalalignment() for t in ticks} == {"right"}  # not centred past the column
    assert {t.get_rotation_mode() for t in ticks} == {"anchor"}
    _close(fig)


def _keep_drawn(monkeypatch) -> dict[str, Any]:
    """The alignment figure that ``attention_plot`` draws, kept under ``"fig"`` instead of written."""
    drawn: dict[str, Any] = {}

    def keep(source, target, weights, path, title=""):
        drawn["fig"] = plots.alignment_figure(source, target, weights, title)
        return Path(path)

    monkeypatch.setattr(plots, "alignment_png", keep)
    return drawn


def test_translation_attention_says_whose_translation_it_shows(tmp_path: Path, monkeypatch) -> None:
    """The chart had no title: beside a printed dictionary translation it showed the network's own (another
    text) without saying so; it now names the source, the network's text and where the printed one came
    from, and has a colour scale."""
    drawn = _keep_drawn(monkeypatch)
    t = Translation(
        source="read the file", text="lies die Datei", score=-1.0,
        source_tokens=["▁read", "▁the", "▁file"], target_tokens=["▁lies", "▁das"],
        attention=[[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
        model_text="lies das", chosen="dictionary",
    )  # fmt: skip
    attention_plot(t, tmp_path / "a.png")
    fig = drawn["fig"]
    title = " ".join(fig.axes[0].get_title().split())
    assert "'read the file' -> 'lies das'" in title and "dictionary" in title
    assert [x.get_text() for x in fig.axes[0].get_yticklabels()] == ["lies", "das", "[EOS]"]
    assert fig.axes[1].get_ylabel() == "attention weight"
    _close(fig)
    attention_plot(Translation("read", "lies", -1.0, ["▁read"], ["▁lies"], [[1.0], [1.0]], model_text="lies"),
                   tmp_path / "b.png")  # fmt: skip
    title = drawn["fig"].axes[0].get_title()
    assert title == "attention: 'read' -> 'lies'"  # the printed text is the network's: nothing to add
    _close(drawn["fig"])


def test_translation_attention_of_an_empty_network_translation_says_so(tmp_path: Path, monkeypatch) -> None:
    """A network that emits [EOS] at once (an undertrained model; the dictionary fallback then prints its
    own text) drew an empty grid titled with the dictionary's text as "the network's own translation"."""
    drawn = _keep_drawn(monkeypatch)
    t = Translation(
        source="open file", text="open fichero", score=-6.8, source_tokens=["▁op", "en", "▁file"],
        target_tokens=[], attention=[], model_text="", chosen="dictionary",
    )  # fmt: skip
    attention_plot(t, tmp_path / "a.png")
    ax = drawn["fig"].axes[0]
    title = " ".join(ax.get_title().split())
    assert "'open fichero'" not in title.split("(")[0] and "empty" in title, title
    assert any("no target token" in x.get_text() for x in ax.texts), [x.get_text() for x in ax.texts]
    _close(drawn["fig"])


def test_confusion_shows_row_percentages_beside_counts_and_shades_by_them() -> None:
    """Shaded by raw counts with counts alone, a rare class's row was near white whatever its recall; each
    cell now reads ``count (row %)`` and is shaded by that share, with a colour bar saying so."""
    fig = plots.confusion_figure([[90, 10, 0], [1, 3, 0], [0, 0, 0]], ["common", "rare", "absent"])
    ax = fig.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells[(0, 0)] == "90 (90%)" and cells[(0, 1)] == "10 (10%)"
    assert cells[(1, 0)] == "1 (25%)" and cells[(1, 1)] == "3 (75%)"
    assert cells[(2, 2)] == "0"  # a class with no text: no percentage of nothing
    shade = ax.images[0].get_array()
    assert shade[1, 1] == pytest.approx(75.0) and shade[1, 1] > shade[0, 1]  # 3 of 4 outshades 10 of 100
    (bar,) = [a for a in fig.axes if a is not ax]
    assert bar.get_ylabel() == "% of the true class (row)"
    _close(fig)


def test_confusion_cells_never_round_a_share_to_0_or_100_percent() -> None:
    """A cell's share goes through core's percent(): 1 of 400 texts read '1 (0%)' and 399 of 400 '(100%)'
    on main; exact 0 and 100 stay whole."""
    fig = plots.confusion_figure([[399, 1], [0, 4]], ["common", "rare"])
    cells = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in fig.axes[0].texts
    }
    assert cells == {(0, 0): "399 (99.8%)", (0, 1): "1 (0.25%)", (1, 0): "0 (0%)", (1, 1): "4 (100%)"}
    _close(fig)
