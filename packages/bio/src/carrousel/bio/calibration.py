"""Empirical p-values of model scores against a dinucleotide-shuffled background, with an exponential
tail fitted beyond the observed null scores (so genome-wide multiple testing is possible)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["NullCalibration"]


@dataclass(frozen=True)
class NullCalibration:
    """Null logits per task from shuffled background windows.

    Attributes:
        null: ``(K, N)`` null logits, each row sorted ascending.
        tail_fraction: fraction of the top null scores the exponential tail is fitted to.
    """

    null: np.ndarray
    tail_fraction: float = 0.05

    def __post_init__(self) -> None:
        # p-values search the rows: sorted here whatever the source (a stored null may not be)
        object.__setattr__(self, "null", np.sort(np.asarray(self.null, dtype=np.float64), axis=1))

    @staticmethod
    def from_scores(scores: np.ndarray, tail_fraction: float = 0.05) -> NullCalibration:
        """From ``(N, K)`` null logits."""
        return NullCalibration(np.sort(np.asarray(scores, dtype=np.float64).T, axis=1), tail_fraction)

    def pvalues(self, logits: np.ndarray, outputs: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Empirical p-values ``(1 + #null >= s) / (N + 1)``; above the tail threshold, an exponential
        tail ``(n_t / N) exp(-(s - u) / beta)`` fitted to the top ``tail_fraction`` of the null.

        Args:
            logits: ``(M, K)`` model logits.
            outputs: the columns to compute (default: all); the others are 1 (a scan of a few motifs
                of a large panel skips the rest).

        Returns:
            ``(M, K)`` p-values in (0, 1].
        """
        z = np.asarray(logits, dtype=np.float64)
        K, N = self.null.shape
        out = np.ones_like(z)
        n_t = max(round(self.tail_fraction * N), 10)
        for k in range(K) if outputs is None else outputs:
            row = self.null[k]
            ge = N - np.searchsorted(row, z[:, k], side="left")
            emp = (1.0 + ge) / (N + 1.0)
            top = row[N - n_t :]
            u = float(top[0])
            beta = max(float(np.mean(top - u)), 1e-6)
            with np.errstate(over="ignore"):
                tail = (n_t / (N + 1.0)) * np.exp(-(z[:, k] - u) / beta)
            out[:, k] = np.where(z[:, k] > u, np.minimum(emp, tail), emp)
        return np.clip(out, 1e-300, 1.0)
