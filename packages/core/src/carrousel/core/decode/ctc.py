"""CTC decoding: greedy (best path), prefix beam search with an optional scorer hook, forced alignment.

Inputs are per-frame log-probabilities over ``C`` classes, one of which is the blank: ``(T, C)`` for one
sequence or ``(B, T, C)`` for a padded batch with ``(B,)`` lengths, as tensors (any device) or numpy
arrays. A label sequence is a path of frame labels with repeats collapsed and blanks removed; its
probability sums over all such paths.

Every result carries frames: for each label, the first and last frame of its run in the best path
(greedy) or in the best path of that label sequence (forced alignment, also used for beam results), and
the mean posterior over those frames as a confidence. Times are ``frame * hop`` for the model's frame hop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.nn.lengths import check_lengths

__all__ = [
    "CTCResult",
    "Scorer",
    "ctc_forced_align",
    "ctc_greedy_decode",
    "ctc_prefix_beam_search",
    "ctc_prefix_beam_search_batch",
]

Scorer = Callable[[tuple[int, ...], int], float]
"""``scorer(prefix, label) -> float``: a log-domain bonus for extending ``prefix`` by ``label``."""

_NEG = -np.inf
_ABOVE_ZERO = 1e-3  # log-softmax outputs are <= 0; this much above it is left to reduced-precision rounding


@dataclass(frozen=True)
class CTCResult:
    """One decoded label sequence.

    Attributes:
        labels: the labels, repeats collapsed and blanks removed.
        log_prob: from greedy decoding and forced alignment, the log-prob of the single best frame path;
            from prefix beam search, the log-prob of the label sequence summed over its paths.
        score: the ranking score: ``log_prob`` plus ``scorer_weight`` times the scorer's bonuses
            (``log_prob`` when there is no scorer).
        start_frames: the first frame of each label (empty when beam results are not aligned).
        end_frames: the last frame of each label, same length.
        confidences: the mean posterior of each label over its frames, same length.
    """

    labels: list[int]
    log_prob: float
    score: float
    start_frames: list[int]
    end_frames: list[int]
    confidences: list[float]


def _numpy(log_probs: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(log_probs, Tensor):
        return log_probs.detach().to("cpu", torch.float64).numpy()
    if isinstance(log_probs, np.ndarray):
        return log_probs.astype(np.float64, copy=False)
    kind = type(log_probs).__name__
    raise ShapeError(
        f"log_probs must be a tensor or numpy array, got {kind}; convert it, np.asarray(log_probs)"
    )


def _shape_message(shape: tuple[int, ...], want: str, numpy: bool) -> str:
    """``log_probs`` of the wrong shape for ``want``, with the fix spelled for an array or a tensor."""
    said = f"log_probs must be {want}, got shape {shape}"
    add = "log_probs[None]" if numpy else "log_probs.unsqueeze(0)"
    if len(shape) in (1, 2):  # one frame (C,) where (T, C) is wanted; one sequence (T, C) where (B, T, C) is
        return f"{said}; for one {'frame' if len(shape) == 1 else 'sequence'} add the leading axis: {add}"
    if len(shape) == 3:  # where (T, C) is wanted
        return f"{said}; give one sequence at a time, log_probs[b, :length]"
    squeeze = "np.squeeze(log_probs)" if numpy else "log_probs.squeeze()"
    return f"{said}; give per-frame log-probabilities, dropping the extra axes of size 1: {squeeze}"


def _lengths(lengths: Tensor | np.ndarray | Sequence[int] | None, B: int, T: int) -> list[int]:
    """The encoder's check (whole step counts, ``(B,)``), 0 allowed: an empty sequence decodes to nothing."""
    if lengths is None:
        return [T] * B
    return check_lengths(torch.as_tensor(lengths), B, T, empty_ok=True).tolist()


def _check_log_probs(top: float) -> None:
    """Refuses scores above 0 (``top``: the largest valid one): probabilities or raw logits decode wrongly
    (the beam adds them as log-probs), and the results' log-probs and confidences would be meaningless."""
    if top > _ABOVE_ZERO:
        raise DataError(
            f"log_probs hold values up to {top:.3g} > 0, so they are not log-probabilities (probabilities or "
            "raw logits?); pass logits.log_softmax(-1), or probs.log()"
        )


def _check_blank(blank: int, C: int) -> None:
    if not 0 <= blank < C:
        raise ConfigError(f"blank={blank} is not a class index of log_probs with {C} classes; use 0..{C - 1}")


def _segments(path: np.ndarray, frame_lp: np.ndarray, blank: int) -> CTCResult:
    """Collapses a frame path ``(T,)`` with its ``(T,)`` log-probs into labels, frames and confidences."""
    T = len(path)
    log_prob = float(frame_lp.sum())
    if T == 0:
        return CTCResult([], log_prob, log_prob, [], [], [])
    change = np.flatnonzero(path[1:] != path[:-1]) + 1
    starts, ends = np.r_[0, change], np.r_[change, T] - 1
    posterior = np.r_[0.0, np.cumsum(np.exp(frame_lp))]
    mean = (posterior[ends + 1] - posterior[starts]) / (ends - starts + 1)
    keep = path[starts] != blank
    return CTCResult(
        path[starts][keep].tolist(),
        log_prob,
        log_prob,
        starts[keep].tolist(),
        ends[keep].tolist(),
        mean[keep].tolist(),
    )


@check_args
def ctc_greedy_decode(
    log_probs: Tensor | np.ndarray,
    lengths: Tensor | np.ndarray | Sequence[int] | None = None,
    blank: int = 0,
) -> list[CTCResult]:
    """Best-path decoding: the most probable class per frame, repeats collapsed, blanks removed.

    Args:
        log_probs: ``(B, T, C)`` or ``(T, C)`` per-frame log-probabilities (log-softmax outputs; values
            above 0, probabilities or raw logits, are a ``DataError``).
        lengths: ``(B,)`` valid frames per sequence, or None when all are ``T``.
        blank: the blank class.

    Returns:
        One result per sequence (one for a ``(T, C)`` input), with the best path's log-prob, each label's
        first and last frame and its mean posterior over them.

    Example:
        >>> lp = torch.log(torch.tensor([[.1, .9, 0], [.2, .8, 0], [.9, .1, 0], [.1, 0, .9]]))
        >>> r = ctc_greedy_decode(lp)[0]
        >>> r.labels, r.start_frames, r.end_frames
        ([1, 2], [0, 3], [1, 3])
    """
    if isinstance(log_probs, Tensor):
        if log_probs.dim() not in (2, 3):
            raise ShapeError(_shape_message(tuple(log_probs.shape), "(T, C) or (B, T, C)", False))
        best_lp_t, best_t = log_probs.detach().max(dim=-1)
        best_lp, best = _numpy(best_lp_t), best_t.cpu().numpy()
    else:
        arr = _numpy(log_probs)
        if arr.ndim not in (2, 3):
            raise ShapeError(_shape_message(arr.shape, "(T, C) or (B, T, C)", True))
        best, best_lp = arr.argmax(axis=-1), arr.max(axis=-1)
    _check_blank(blank, log_probs.shape[-1])
    if best.ndim == 1:
        best, best_lp = best[None], best_lp[None]
    B, T = best.shape
    valid = _lengths(lengths, B, T)
    _check_log_probs(max((float(best_lp[b, :n].max()) for b, n in enumerate(valid) if n), default=_NEG))
    return [_segments(best[b, :n], best_lp[b, :n], blank) for b, n in enumerate(valid)]


@check_args
def ctc_forced_align(log_probs: Tensor | np.ndarray, labels: Sequence[int], blank: int = 0) -> CTCResult:
    """The most probable frame path of a given label sequence (Viterbi over the CTC topology).

    Args:
        log_probs: ``(T, C)`` per-frame log-probabilities.
        labels: the label sequence to align (no blanks).
        blank: the blank class.

    Returns:
        The labels with the best path's log-prob, each label's first and last frame and its mean posterior.

    Raises:
        ShapeError: ``log_probs`` is not 2-D, or the labels need more frames than ``T`` (one per label plus
            one blank between equal neighbours) or have no path of finite probability.
        DataError: ``log_probs`` hold values above 0 (probabilities or raw logits).
    """
    lp = _numpy(log_probs)
    if lp.ndim != 2:
        raise ShapeError(_shape_message(lp.shape, "(T, C)", not isinstance(log_probs, Tensor)))
    T, C = lp.shape
    _check_blank(blank, C)
    _check_log_probs(float(lp.max()) if lp.size else _NEG)
    z = np.full(2 * len(labels) + 1, blank, dtype=np.int64)  # blank, l1, blank, l2, ..., blank
    z[1::2] = np.asarray(labels, dtype=np.int64)
    S = len(z)
    if len(labels) and (z[1::2].min() < 0 or z[1::2].max() >= C or (z[1::2] == blank).any()):
        raise ShapeError(
            f"labels must be non-blank classes in [0, {C}), got {list(labels)}; drop the blanks "
            f"(blank={blank}) and map the labels to this model's classes"
        )
    skip = np.zeros(S, dtype=bool)
    skip[2:] = (z[2:] != blank) & (z[2:] != z[:-2])
    score = np.full(S, _NEG)
    back = np.zeros((max(T, 1), S), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    if T:
        score[: min(2, S)] = lp[0, z[: min(2, S)]]
    for t in range(1, T):
        cand = np.full((3, S), _NEG)
        cand[0] = score
        cand[1, 1:] = score[:-1]
        cand[2, 2:] = np.where(skip[2:], score[:-2], _NEG)
        back[t] = cand.argmax(axis=0)
        score = cand[back[t], np.arange(S)] + lp[t, z]
    end = S - 1 if S == 1 or score[S - 1] >= score[S - 2] else S - 2
    if T == 0 or not np.isfinite(score[end]):
        if T == 0 and not labels:
            return CTCResult([], 0.0, 0.0, [], [], [])
        need = len(labels) + int((z[3::2] == z[1:-2:2]).sum())  # a blank between equal neighbours
        why = f"they need {need} frames" if need > T else "a label has probability 0 where it must appear"
        raise ShapeError(
            f"{len(labels)} labels cannot be aligned to {T} frames with finite probability ({why}); check "
            "that the labels belong to these frames"
        )
    states = np.empty(T, dtype=np.int64)
    s = end
    for t in range(T - 1, -1, -1):
        states[t] = s
        s -= int(back[t, s])
    frames = np.flatnonzero(states % 2 == 1)
    index = states[frames] // 2  # which label each non-blank frame belongs to, non-decreasing
    first = np.searchsorted(index, np.arange(len(labels)), side="left")
    last = np.searchsorted(index, np.arange(len(labels)), side="right") - 1
    posterior = np.bincount(index, np.exp(lp[frames, z[states[frames]]]), minlength=len(labels))
    log_prob = float(score[end])
    return CTCResult(
        [int(v) for v in labels],
        log_prob,
        log_prob,
        frames[first].tolist(),
        frames[last].tolist(),
        (posterior / (last - first + 1)).tolist(),
    )


@check_args
def ctc_prefix_beam_search(
    log_probs: Tensor | np.ndarray,
    beam_size: int = 8,
    blank: int = 0,
    *,
    n_best: int = 1,
    top_k: int | None = None,
    min_log_prob: float | None = None,
    scorer: Scorer | None = None,
    scorer_weight: float = 1.0,
    align: bool = True,
) -> list[CTCResult]:
    """CTC prefix beam search: keeps the ``beam_size`` best label prefixes, summing over frame paths.

    Each prefix carries the log-prob of its paths ending in blank and ending in its last label, so a
    repeated label is only extended across a blank, and prefixes reached by several paths are merged.
    The per-frame work is vectorised over (prefix, label) pairs in NumPy.

    Args:
        log_probs: ``(T, C)`` per-frame log-probabilities (values above 0, probabilities or raw logits, are a
            ``DataError``: the search would add them as log-probs and return another transcript).
        beam_size: prefixes kept after each frame; the search is exact (no prefix dropped) when it is at
            least the number of distinct prefixes, e.g. ``sum((C - 1) ** l for l in range(T + 1))``.
        blank: the blank class.
        n_best: results returned, best first.
        top_k: extend prefixes only by the ``top_k`` most probable non-blank classes of each frame (None:
            all); set it for large class counts, especially with a scorer.
        min_log_prob: also skip classes whose log-prob at the frame is below this.
        scorer: ``scorer(prefix, label) -> float``, a log-domain bonus added when ``prefix`` is extended
            by ``label`` (an n-gram model, a hotword list, an insertion bonus); called once per distinct
            pair. Ranking uses ``log_prob + scorer_weight * sum of bonuses``.
        scorer_weight: the weight of the scorer's bonuses.
        align: fill each result's frames and confidences by :func:`ctc_forced_align` (costs
            ``O(T * len(labels))`` per result).

    Returns:
        Up to ``n_best`` results sorted by score, each with the exact log-prob of its label sequence over
        the paths the beam kept.
    """
    lp = _numpy(log_probs)
    if lp.ndim != 2:
        raise ShapeError(f"log_probs must be (T, C), got shape {lp.shape}; use ctc_prefix_beam_search_batch")
    T, C = lp.shape
    _check_blank(blank, C)
    _check_log_probs(float(lp.max()) if lp.size else _NEG)
    if beam_size < 1 or n_best < 1 or (top_k is not None and top_k < 1):
        raise ConfigError(f"beam_size, n_best and top_k must be >= 1, got {beam_size}, {n_best}, {top_k}")
    classes = np.array([c for c in range(C) if c != blank], dtype=np.int64)
    prefixes: list[tuple[int, ...]] = [()]
    p_blank, p_label = np.zeros(1), np.full(1, _NEG)  # log-prob of paths ending in blank / in the last label
    bonus, last = np.zeros(1), np.full(1, -1, dtype=np.int64)  # scorer bonuses so far; last label or -1
    cache: dict[tuple[tuple[int, ...], int], float] = {}
    for t in range(T):
        row = lp[t]
        cands = classes
        if top_k is not None and top_k < len(cands):
            cands = cands[np.argpartition(-row[cands], top_k - 1)[:top_k]]
        if min_log_prob is not None:
            cands = cands[row[cands] >= min_log_prob]
        n, k = len(prefixes), len(cands)
        total = np.logaddexp(p_blank, p_label)
        new_blank = total + row[blank]
        new_label = np.where(last >= 0, p_label + row[np.maximum(last, 0)], _NEG)
        # Extending by the last label again needs a blank in between: only p_blank continues.
        ext = (
            np.where(cands[None, :] == last[:, None], p_blank[:, None], total[:, None]) + row[cands][None, :]
        )
        # Extensions that reach a prefix already in the beam merge into it.
        where = {p: i for i, p in enumerate(prefixes)}
        column = np.full(C, -1, dtype=np.int64)
        column[cands] = np.arange(k)
        for i, p in enumerate(prefixes):
            if p:
                j, m = where.get(p[:-1]), column[p[-1]]
                if j is not None and m >= 0:
                    new_label[i] = np.logaddexp(new_label[i], ext[j, m])
                    ext[j, m] = _NEG
        ext_bonus = np.repeat(bonus[:, None], k, axis=1)
        if scorer is not None:
            for i, j in zip(*np.nonzero(np.isfinite(ext)), strict=True):
                key = (prefixes[i], int(cands[j]))
                if key not in cache:
                    cache[key] = float(scorer(*key))
                ext_bonus[i, j] += scorer_weight * cache[key]
        scores = np.concatenate([np.logaddexp(new_blank, new_label) + bonus, (ext + ext_bonus).ravel()])
        pick = np.flatnonzero(np.isfinite(scores))
        if len(pick) == 0:  # every path has probability 0: keep the beam as it is
            pick = np.arange(n)
        if len(pick) > beam_size:
            pick = pick[np.argpartition(-scores[pick], beam_size - 1)[:beam_size]]
        stay, grow = pick[pick < n], pick[pick >= n] - n
        src, col = grow // max(k, 1), grow % max(k, 1)
        prefixes = [prefixes[i] for i in stay.tolist()] + [
            (*prefixes[i], int(cands[m])) for i, m in zip(src.tolist(), col.tolist(), strict=True)
        ]
        p_blank = np.concatenate([new_blank[stay], np.full(len(grow), _NEG)])
        p_label = np.concatenate([new_label[stay], ext[src, col]])
        bonus = np.concatenate([bonus[stay], ext_bonus[src, col]])
        last = np.concatenate([last[stay], cands[col]])
    total = np.logaddexp(p_blank, p_label)
    scores = total + bonus
    results = []
    for i in np.argsort(-scores, kind="stable")[:n_best].tolist():
        labels = list(prefixes[i])
        if align:
            aligned = ctc_forced_align(lp, labels, blank)
            frames = (aligned.start_frames, aligned.end_frames, aligned.confidences)
        else:
            frames = ([], [], [])
        results.append(CTCResult(labels, float(total[i]), float(scores[i]), *frames))
    return results


@check_args
def ctc_prefix_beam_search_batch(
    log_probs: Tensor | np.ndarray,
    lengths: Tensor | np.ndarray | Sequence[int] | None = None,
    beam_size: int = 8,
    blank: int = 0,
    *,
    n_best: int = 1,
    top_k: int | None = None,
    min_log_prob: float | None = None,
    scorer: Scorer | None = None,
    scorer_weight: float = 1.0,
    align: bool = True,
) -> list[list[CTCResult]]:
    """:func:`ctc_prefix_beam_search` over a padded ``(B, T, C)`` batch with ``(B,)`` lengths.

    Returns:
        Per sequence, its ``n_best`` results sorted by score.
    """
    lp = _numpy(log_probs)
    if lp.ndim != 3:
        raise ShapeError(_shape_message(lp.shape, "(B, T, C)", not isinstance(log_probs, Tensor)))
    B, T, _ = lp.shape
    return [
        ctc_prefix_beam_search(
            lp[b, :n],
            beam_size,
            blank,
            n_best=n_best,
            top_k=top_k,
            min_log_prob=min_log_prob,
            scorer=scorer,
            scorer_weight=scorer_weight,
            align=align,
        )
        for b, n in enumerate(_lengths(lengths, B, T))
    ]
