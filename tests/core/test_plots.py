"""carrousel.core.plots: Agg pyplot on demand, one PNG writer (dpi, tight bbox, atomic or in place)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from carrousel.core.errors import OutputError
from carrousel.core.plots import DPI, pyplot, save_png, wrap_to

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _figure() -> object:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    return fig


def test_pyplot_is_on_the_file_backend() -> None:
    plt = pyplot()
    assert plt.get_backend().lower() == "agg"


def test_save_png_is_atomic_with_the_umask_mode_and_closes_the_figure(tmp_path: Path) -> None:
    from PIL import Image

    plt = pyplot()
    fig = _figure()
    old = os.umask(0o027)
    try:
        out = save_png(fig, tmp_path / "a.png")
    finally:
        os.umask(old)
    assert out == tmp_path / "a.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]  # no temporary file left
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_bytes()[:8] == PNG_MAGIC
    with Image.open(out) as image:
        assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.1)
        assert image.size[0] <= 2 * DPI  # tight bounding box: no wider than the 2-inch figure
    assert not plt.fignum_exists(fig.number)  # type: ignore[attr-defined]


def test_save_png_writes_a_special_file_in_place() -> None:
    plt = pyplot()
    fig = _figure()
    before = os.stat("/dev/null")
    assert save_png(fig, "/dev/null") == Path("/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not plt.fignum_exists(fig.number)  # type: ignore[attr-defined]


def test_save_png_failure_names_the_path_and_still_closes_the_figure(tmp_path: Path) -> None:
    plt = pyplot()
    fig = _figure()
    with pytest.raises(OutputError, match="is a folder"):
        save_png(fig, tmp_path)
    assert not plt.fignum_exists(fig.number)  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


def test_wrap_to_keeps_hyphenated_words_whole() -> None:
    # before: a training curve's title broke "held-out" into "held-" / "out" across two lines
    assert wrap_to("abcdefghijklmn held-out tokens", 1.0, 10).splitlines() == [
        "abcdefghijklmn",
        "held-out tokens",
    ]


def test_save_png_draws_a_title_holding_an_undecodable_file_name(tmp_path: Path) -> None:
    """A file name read in an ASCII locale (LC_ALL=C, no UTF-8 mode) holds surrogate escapes, which
    matplotlib refused with a TypeError: 'nlp generate train -t tëxt.txt' failed after its training, on
    drawing training.png. Those bytes are now read as UTF-8 for the chart."""
    fig = _figure()
    fig.axes[0].set_title("trained on t\udcc3\udcabxt.txt")  # 'tëxt.txt' decoded as ASCII
    out = save_png(fig, tmp_path / "chart.png")
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert fig.axes[0].get_title() == "trained on tëxt.txt"


def test_save_png_draws_a_title_holding_a_lone_surrogate_beside_escaped_bytes(tmp_path: Path) -> None:
    """A lone surrogate that is no escaped byte (U+D800) beside escaped bytes made the chart's own decoding
    raise UnicodeEncodeError; it reads as U+FFFD, as ``--json`` writes it (one rule: encodings.strict_text)."""
    fig = _figure()
    fig.axes[0].set_title("t\udcc3\udcabxt \ud800")
    out = save_png(fig, tmp_path / "chart.png")
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert fig.axes[0].get_title() == "tëxt \ufffd"
