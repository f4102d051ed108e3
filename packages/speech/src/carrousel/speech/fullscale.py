"""The full scale of a float recording, decided once per file, so that every reader reads the same level.

A PCM file's samples are fractions of its full scale by construction; a float (``FLOAT``/``DOUBLE``) file's
are whatever the writer stored, and some write integer values (``peak 32768``: 16-bit samples saved as
float). soundfile returns them as they are, and the header cannot tell: the peak is found by scanning the
file once (block by block, so memory stays bounded). The rule, the same for a whole read, a part
(``rec.wav#1-2``) and a block-by-block read (:func:`~carrousel.speech.audio.iter_chunks`), so that they
all see the same samples:

- peak within 2: read as it is (scale 1): a float mix driven a little past full scale is a level the
  writer chose (features are level-normalised; dividing by the peak would change every sample of the file);
- peak above 2: integer values: divided by the smallest integer full scale that holds the peak (2**15,
  2**23, 2**31; above those, by the peak), as the same samples stored as 16-, 24- or 32-bit PCM read.

Rescaling rather than refusing: the samples are the recording, only their unit is off, and the constant is
the file's (never a block's), so the level read is the one the writer meant. A warning names the file and
the factor once per file read, with the fix that silences it.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["FLOAT_SUBTYPES", "float_scale"]

FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")  # subtypes whose samples are not bounded by the format
_BLOCK = 1 << 20  # frames scanned at a time
_INTEGER_SCALES = (2.0**15, 2.0**23, 2.0**31)
logger = logging.getLogger(__name__)


def float_scale(path: Path, subtype: str | None = None) -> float:
    """The constant the samples of recording ``path`` are divided by (1.0 for PCM and in-range float files).

    ``subtype``: the file's (``sf.info``'s), where the caller has read its header (None: read here). Warns
    when it is not 1, naming the factor and the fix, once per file (training reads each file every epoch).
    """
    try:
        if (sf.info(os.fsencode(path)).subtype if subtype is None else subtype) not in FLOAT_SUBTYPES:
            return 1.0
        st = path.stat()
    except (sf.LibsndfileError, RuntimeError, OSError):
        return 1.0  # the read that follows reports the file's own problem
    return _scale(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=1 << 16)
def _scale(path: str, mtime_ns: int, size: int) -> float:
    """:func:`float_scale` of a float file, warned once; cached by its identity (read every epoch, and a
    segments file's parts are one file read often)."""
    peak = 0.0
    with sf.SoundFile(os.fsencode(path)) as fh:
        for block in fh.blocks(_BLOCK, dtype="float64", always_2d=True):
            finite = block[np.isfinite(block)]  # NaN samples are refused by the read itself
            if finite.size:
                peak = max(peak, float(np.max(np.abs(finite))))
    if peak <= 2.0:
        return 1.0
    scale = next((s for s in _INTEGER_SCALES if peak <= s), peak)
    logger.warning(
        "%s: float samples reach %.6g, past [-1, 1] (integer values saved as float?); read divided by %.6g. "
        "Rescale the file to [-1, 1] to silence this (sox -v %.6g %s fixed.wav)",
        path,
        peak,
        scale,
        1 / scale,
        Path(path).name,
    )
    return scale
