"""PNG figures, one way for every command: matplotlib on its file backend, one resolution, one writer.

matplotlib is optional (``carrousel-core[plot]``, pulled in by each domain's ``plot`` extra): it is imported
only inside :func:`pyplot`, when a figure is drawn, so ``import carrousel.core`` never loads it. The Agg
backend is selected before ``matplotlib.pyplot`` is first imported, so no display is needed. :func:`save_png`
writes a figure with the same resolution and tight bounding box everywhere, atomically for a regular file
and in place for a special file (``/dev/null``, ``/dev/stdout``, a FIFO), and closes the figure afterwards
(a long run drawing many figures keeps no memory of them).
"""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_path
from carrousel.core.encodings import strict_text
from carrousel.core.errors import MissingExtraError
from carrousel.core.files import check_output_file
from carrousel.core.option_names import naming_flags
from carrousel.core.optional import require
from carrousel.core.paths import user_path

__all__ = ["DPI", "can_draw", "check_png", "pyplot", "save_png", "wrap_to"]

logger = logging.getLogger(__name__)

DPI = 110  # dots per inch of every PNG a command writes (a 10-inch figure is 1100 pixels wide)
_EXTRA = "carrousel-core[plot]"


def _purpose() -> str:
    """What needs matplotlib, for the missing-extra line: the flag inside a CLI command (``--plot``), the
    module for a Python caller (a ``save_png`` call named ``--plot``, a flag it never had)."""
    return "PNG charts (--plot)" if naming_flags() else "PNG charts (carrousel.core.plots)"


def pyplot(extra: str = _EXTRA, purpose: str | None = None) -> Any:
    """``matplotlib.pyplot`` with the Agg (file) backend, imported on first use.

    Args:
        extra: the requirement named in the error when matplotlib is missing
            (``"carrousel-finance[plot]"``).
        purpose: what needs it, for that error (``"the fan chart (--plot)"``); None: PNG charts, named by
            ``--plot`` inside a CLI command and by this module for a Python caller.

    Returns:
        The ``matplotlib.pyplot`` module.

    Raises:
        MissingExtraError: matplotlib is not installed (one line naming ``extra``).
    """
    purpose = _purpose() if purpose is None else purpose
    matplotlib = require("matplotlib", extra, purpose)
    matplotlib.use("Agg")  # before pyplot picks an interactive backend; a no-op once it is Agg
    return require("matplotlib.pyplot", extra, purpose)


def check_png(path: str | Path, flag: str, extra: str = _EXTRA, purpose: str | None = None) -> None:
    """Checks a chart's path before any work: a ``.png`` file name in a writable folder (or a special file
    such as ``/dev/null`` or ``/dev/stdout``, written in place), and matplotlib installed.

    Args:
        path: the PNG file.
        flag: the option that named it, for the messages (``"--plot"``).
        extra: the requirement named when matplotlib is missing (``"carrousel-bio[plot]"``).
        purpose: what needs it, for that error (None: as :func:`pyplot`).

    Raises:
        ConfigError: not a ``.png`` name, a folder, or no writable folder holds it.
        MissingExtraError: matplotlib is not installed.
    """
    check_output_file(path, flag, suffixes=(".png",))
    pyplot(extra, purpose)


def can_draw(extra: str = _EXTRA, left_out: str | None = None) -> bool:
    """Whether matplotlib imports: for the charts a command writes unasked (a run folder's, a training's
    learning curve), which are then left out with a warning said before any work, never a failure once the
    work is done.

    Args:
        extra: the extra that installs matplotlib, named in the warning.
        left_out: what is left out without it, in words (``"--out run/ gets no fan charts"``): logged as one
            warning when matplotlib is missing (None: nothing logged).
    """
    try:
        pyplot(extra)
    except MissingExtraError:
        if left_out is not None:
            logger.warning("%s: matplotlib is not installed; run: pip install '%s'", left_out, extra)
        return False
    return True


def _decode_escapes(fig: Any) -> None:
    """Text holding Python's surrogate escapes (a file name's bytes that the locale could not decode, as
    in ``LC_ALL=C``: matplotlib refuses them) gets those bytes read as UTF-8, an invalid one and any other lone
    surrogate as U+FFFD (:func:`carrousel.core.encodings.strict_text`, as ``--json`` does)."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        value = text.get_text()
        if isinstance(value, str) and (fixed := strict_text(value)) != value:
            text.set_text(fixed)


@check_args
def save_png(fig: Any, path: str | Path, dpi: int = DPI) -> Path:
    """Writes ``fig`` as PNG at ``dpi`` with a tight bounding box, then closes it (also on failure).

    A regular file is replaced atomically (a temporary file in its folder, mode from the umask or the
    replaced file's, renamed over it); a special file such as ``/dev/null`` or ``/dev/stdout`` is written
    in place and never replaced (see :func:`carrousel.core.atomic.atomic_path`).

    Args:
        fig: a matplotlib figure (from :func:`pyplot`).
        path: the PNG file.
        dpi: dots per inch (default :data:`DPI`, the same for every command).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OutputError: the file cannot be written (the message names ``path``).
    """
    out = user_path(path)
    try:
        _decode_escapes(fig)
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        pyplot().close(fig)
    logger.debug("figure written to %s", out)
    return out


@check_args
def wrap_to(text: str, inches: float, points: float, em: float = 0.55, least: int = 20) -> str:
    """``text`` wrapped into lines that fit ``inches`` of a figure at ``points`` (a title, a note).

    Args:
        text: the text.
        inches: the width available.
        points: the font size.
        em: the mean character width as a share of the font size.
        least: the fewest characters per line, however narrow the figure.
    """
    width = max(least, int(inches * 72 / (em * points)))
    return textwrap.fill(text, width=width, break_on_hyphens=False)  # "held-out" stays whole
