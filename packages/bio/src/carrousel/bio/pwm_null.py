"""The PWM null model: the background and the exact distribution of integer scores under it.

A motif's log-odds matrix is discretised to integers (``scale`` units per bit, :class:`~carrousel.bio.pwm.
IntegerPWM`). The null distribution of the integer score of a window drawn from the background is computed
exactly by dynamic programming over positions (a convolution of the columns' score distributions; with a
1st-order background the state also carries the previous base), so every p-value is exact for the integer
score that is reported. :func:`brute_force_pvalues` enumerates every word of a short motif as an oracle.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carrousel.bio.errors import MotifError, ScanConfigError
from carrousel.core.args import check_args
from carrousel.core.option_names import naming_flags, option

if TYPE_CHECKING:
    from carrousel.bio.pwm import IntegerPWM

__all__ = ["Background", "brute_force_pvalues", "check_pvalue", "score_distribution"]


@dataclass(frozen=True)
class Background:
    """A 0- or 1st-order Markov background over A, C, G, T.

    Attributes:
        mono: ``(4,)`` base probabilities.
        trans: ``(4, 4)`` transition probabilities ``P(b | a)`` (rows sum to 1); None for 0-order.
        fallback: made from counts that held no base (an all-N file): uniform stands in for them.
    """

    mono: np.ndarray
    trans: np.ndarray | None = None
    fallback: bool = False

    @property
    def order(self) -> int:
        """0 or 1."""
        return 0 if self.trans is None else 1

    @staticmethod
    def uniform() -> Background:
        """Equal base probabilities."""
        return Background(np.full(4, 0.25))

    @staticmethod
    @check_args
    def from_counts(mono: np.ndarray, di: np.ndarray | None = None, order: int = 0) -> Background:
        """From mono-/dinucleotide counts (a pseudocount of 1 avoids zeros; no count at all: uniform, with
        ``fallback`` set)."""
        fallback = not np.asarray(mono).any()
        m = np.asarray(mono, dtype=np.float64) + 1.0
        m = m / m.sum()
        if order == 0:
            return Background(m, fallback=fallback)
        if order != 1 or di is None:
            raise ScanConfigError("background order must be 0 or 1 (1 needs dinucleotide counts)")
        d = np.asarray(di, dtype=np.float64) + 1.0
        return Background(m, d / d.sum(axis=1, keepdims=True), fallback)


def score_distribution(
    matrix: np.ndarray, bg: Background, pair: np.ndarray | None, first: np.ndarray | None
) -> tuple[int, int, np.ndarray]:
    """Exact null distribution of a window's integer score.

    Args:
        matrix: ``(L, 4)`` int64 per-position scores of the motif part.
        bg: the background the windows are drawn from.
        pair: ``(4, 4)`` int64 1st-order transition scores, or None for a 0-order background.
        first: ``(4,)`` int64 score of a window's first base (1st order), or None.

    Returns:
        ``(lo, hi, sf)``: smallest and largest possible scores and the ``(hi - lo + 1,)`` survival function
        ``P(score >= lo + i)``.
    """
    M = matrix
    L = M.shape[0]
    pdf: np.ndarray
    if pair is None:
        lo = int(M.min(axis=1).sum())
        hi = int(M.max(axis=1).sum())
        pdf = np.ones(1)
        for j in range(L):
            cmin = int(M[j].min())
            new = np.zeros(pdf.size + int(M[j].max()) - cmin)
            for b in range(4):
                s = int(M[j, b]) - cmin
                new[s : s + pdf.size] += bg.mono[b] * pdf
            pdf = new
    else:
        assert first is not None and bg.trans is not None
        P = pair
        # dist[a, s]: P(score so far = lo + s, last base = a)
        steps = [(first + M[0]).astype(np.int64)]
        lo_j = [int(steps[0].min())]
        hi_j = [int(steps[0].max())]
        for j in range(1, L):
            inc = P + M[j][None, :]  # (prev, cur)
            lo_j.append(lo_j[-1] + int(inc.min()))
            hi_j.append(hi_j[-1] + int(inc.max()))
        lo, hi = lo_j[-1], hi_j[-1]
        size = hi - lo + 1
        off0 = lo_j[0]
        dist = np.zeros((4, hi_j[0] - lo_j[0] + 1))
        for a in range(4):
            dist[a, int(steps[0][a]) - off0] += bg.mono[a]
        cur_lo = off0
        for j in range(1, L):
            inc = P + M[j][None, :]
            new_lo, new_hi = lo_j[j], hi_j[j]
            nxt = np.zeros((4, new_hi - new_lo + 1))
            w = dist.shape[1]
            for a in range(4):
                for b in range(4):
                    s = cur_lo + int(inc[a, b]) - new_lo
                    nxt[b, s : s + w] += bg.trans[a, b] * dist[a]
            dist, cur_lo = nxt, new_lo
        pdf = np.asarray(dist.sum(axis=0), dtype=np.float64).reshape(-1)
        assert pdf.size == size
    sf = np.cumsum(pdf[::-1])[::-1]
    sf = np.minimum(sf, 1.0)
    return lo, hi, sf


def check_pvalue(pvalue: float, where: str, name: str = "pvalue") -> None:
    """Refuses a p-value threshold that is no number in (0, 1] (NaN, 0, -1: an unreachable score, no hit).

    The commands never reach it with a bad value (the CLI refuses ``--pvalue 0`` as a usage error, a
    ``--config`` file's ``pvalue = 0`` is refused by the config): a Python caller reads ``pvalue=0``, the
    argument it passed; inside a command it would read the flag (``--pvalue 0``).

    Raises:
        ScanConfigError: in one line naming ``where``, the value and the fix (a ConfigError).
    """
    ok = isinstance(pvalue, numbers.Real) and not isinstance(pvalue, bool) and 0.0 < pvalue <= 1.0
    if not ok:
        example = f"{option(name)} 1e-4" if naming_flags() else f"{name}=1e-4"
        raise ScanConfigError(
            f"{where}: {option(name, pvalue)} is no p-value; give a number in (0, 1], e.g. {example}"
        )


def brute_force_pvalues(pwm: IntegerPWM) -> tuple[np.ndarray, np.ndarray]:
    """Oracle for short motifs: enumerates all ``4**L`` words. Returns ``(scores, probabilities)``."""
    L = pwm.length
    if L > 10:
        raise MotifError("brute force is for motifs of at most 10 positions")
    words = np.array(np.meshgrid(*[np.arange(4)] * L, indexing="ij")).reshape(L, -1).T
    s = pwm.matrix[np.arange(L)[None, :], words].sum(axis=1)
    bg = pwm.background
    if pwm.pair is None:
        prob = np.prod(bg.mono[words], axis=1)
    else:
        assert bg.trans is not None and pwm.first is not None
        s = s + pwm.first[words[:, 0]] + pwm.pair[words[:, :-1], words[:, 1:]].sum(axis=1)
        prob = bg.mono[words[:, 0]] * np.prod(bg.trans[words[:, :-1], words[:, 1:]], axis=1)
    return s, prob
