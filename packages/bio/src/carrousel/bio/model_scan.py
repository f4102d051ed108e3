"""Model scans: windows over a streamed genome, reverse-complement averaged probabilities, empirical
p-values against a background null, gradient x input attribution to place each site exactly inside a
positive window, and the PWM p-value of that site.

A window's evidence against background is the model's calibrated p-value and the exact p-value of the
window's best PWM site (Sidak over its offsets and strands), combined by Bonferroni (twice the smaller:
valid whatever their dependence); BH then runs per motif over every tested window. The model alone
loses resolution at genome scale (its null is a few thousand windows plus a fitted tail); the exact PWM
term keeps strong sites significant among millions of windows. A window becomes a candidate when either
term is small (the PWM term from one compiled PWM pass over the chunk), so a site the model scores
weakly but the PWM strongly is not lost before the BH step. On a peak set scored against null windows of
this scan (the panel's case), windows are called instead at the PWM method's per-window false-positive
rate, by a cut on the smaller of the two p-values set on the null windows
(:mod:`carrousel.bio.model_calls`); BH q-values are still reported.

The null (:class:`NullChoice`) must be background, not targets: a genome's own dinucleotide shuffles
suit a genome, but a file of peaks shuffled keeps the peaks' composition (which the model also reads)
and sets the bar far above real background; there the model's stored background (held-out real
negatives) or a background FASTA is used. Every stage's window count is kept (:attr:`ModelScanner.stages`)
so a user can see where windows were dropped."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import ModelCalls
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta import Chunk, window_sequences
from carrousel.bio.hits import Hits
from carrousel.bio.model_calls import CallChoice, CallRule, call_rule
from carrousel.bio.model_null import NullChoice
from carrousel.bio.model_windows import ChunkWindows, WindowQueue, chunk_windows, pwm_window_terms
from carrousel.bio.models import MotifModel, attribution, predict_logits
from carrousel.bio.motifs import Motif
from carrousel.bio.pwm import IntegerPWM, SequenceCodes
from carrousel.bio.sites import best_sites, distinct_sites, locate_sites, window_pwm_pvalues
from carrousel.core.args import check_args
from carrousel.core.metrics import benjamini_hochberg

__all__ = ["ModelScanner", "attribution"]

logger = logging.getLogger(__name__)


class ModelScanner:
    """Streams chunks through a trained model in windows and keeps candidate sites.

    Args:
        model: the trained network, motifs and stored calibration.
        pwms: one integer PWM per model output (the model's motifs against the scan's background), for
            site placement and PWM p-values.
        pvalue: windows with an empirical p-value at most this are attributed and kept.
        qvalue: final BH filter (per motif, over every tested window, on the combined model/PWM p-value).
        stride: step between windows (default: window minus the longest motif, at least half a window).
        batch_size: sequences per forward pass (windows and their reverse complements).
        max_candidates: candidate (window, motif) pairs held for the BH step (bounds memory: ~200 B each).
        outputs: indices of the model outputs tested (default: all); the others are neither scored nor
            counted.
        pwm_candidates: also keep windows whose best PWM site alone reaches ``pvalue`` (window level).
        calls: the calling rule (:mod:`carrousel.bio.model_calls`): fdr (BH at ``qvalue``), pwm-rate, auto.
        site_pvalue: the PWM method's site p-value threshold, whose window rate the pwm-rate rule matches.
        mask_lower: the chunks read soft-masked bases as N (``ScanConfig.mask_lower``): a window touching
            one (or an N) is not tested (``windows_masked``), as a PWM scan never tests a site touching one
            and as the nulls' windows are drawn, so no site placed in a tested window touches one; a
            record shorter than the window is tested when its own bases are clean (its N padding is no mask).
    """

    @check_args
    def __init__(
        self,
        model: MotifModel,
        pwms: Sequence[IntegerPWM],
        pvalue: float = 0.01,
        qvalue: float | None = 0.05,
        stride: int | None = None,
        batch_size: int = 256,
        max_candidates: int = 2_000_000,
        outputs: Sequence[int] | None = None,
        pwm_candidates: bool = True,
        calls: ModelCalls = ModelCalls.auto,
        site_pvalue: float = 1e-4,
        mask_lower: bool = False,
    ) -> None:
        if len(pwms) != len(model.motifs):
            raise ScanConfigError(
                f"{len(pwms)} PWMs given for {len(model.motifs)} model outputs; give one each"
            )
        self.model = model
        self.null = NullChoice(model.calibration, "stored shuffled", "the model's stored shuffled null")
        # replaced by use_null(carrousel.bio.model_null.choose_null(...)) before the first chunk
        self.window = model.window
        self.calls, self.site_pvalue, self.mask_lower = ModelCalls(calls), site_pvalue, mask_lower
        self.rule = CallRule("fdr", f"BH q <= {qvalue} over every tested window")  # set by use_null
        self.outputs = np.array(
            sorted(set(outputs)) if outputs is not None else range(len(model.motifs)), dtype=np.int64
        )
        longest = max((m.length for m in model.motifs), default=0)
        # consecutive windows overlap by the longest motif (+1), so every site lies wholly in some window
        self.stride = stride or max(self.window - longest - 1, self.window // 2, 1)
        self.pvalue = pvalue
        self.qvalue = qvalue
        self.batch_size = batch_size
        # windows queued across chunks (short records) for one model pass: 8 forward batches
        self.fill = 8 * max(batch_size // 2, 1)
        self._queue = WindowQueue(self.fill)
        self.n_tests = np.zeros(len(model.motifs), dtype=np.int64)
        self.pwms: list[IntegerPWM] = list(pwms)
        self._rows: list[dict[str, np.ndarray]] = []
        self._cand: list[dict[str, np.ndarray]] = []
        self._n_cand = 0
        self.choices: dict[int, CallChoice] = {}  # pwm-rate: per output, the rule that called it
        self.max_candidates = max_candidates
        self.stages = dict.fromkeys(
            (
                "windows",
                "windows_mostly_n",
                "windows_masked",
                "tests",
                "candidates_model",
                "candidates_pwm_only",
                "passed_q",
                "passed_pwm_rate",
                "motif_longer_than_window",
                "sites",
                "sites_overlapping_better",
            ),
            0,
        )
        # PWM pre-pass: a site whose p-value makes its window's Sidak p-value <= pvalue makes a candidate
        self._site_thresholds: dict[int, int] = {}
        if pwm_candidates:
            for k in self.outputs:
                pw = self.pwms[k]
                if pw.length <= self.window:
                    n_sites = 2 * (self.window - pw.length + 1)
                    t = pw.threshold(-float(np.expm1(np.log1p(-pvalue) / n_sites)))
                    pw.prepare_scan(t, False)
                    self._site_thresholds[int(k)] = t

    @property
    def calibration(self) -> NullCalibration:
        """The null logits in use."""
        return self.null.calibration

    def use_null(self, null: NullChoice) -> None:
        """Calibrates against ``null`` from now on (before the first chunk), and sets the calling rule."""
        self.null = null
        ids = [m.id for m in self.motifs]
        args = (self.outputs.tolist(), ids, self.site_pvalue, self.pvalue, self.qvalue, self.window)
        self.rule = call_rule(self.calls, null, self.pwms, *args)

    @property
    def motifs(self) -> list[Motif]:
        """One motif per model output."""
        return self.model.motifs

    @property
    def overlap(self) -> int:
        """Bases consecutive chunks must share so every window fits in one chunk."""
        return self.window - 1

    def logits(self, codes: np.ndarray) -> np.ndarray:
        """``(N, W)`` codes -> ``(N, K)`` strand-averaged logits, in the scan's batches."""
        # batch_size counts sequences of both strands: half as many windows per batch (small batches stay
        # in cache, measured faster on 2 cores)
        m, half = self.model, max(self.batch_size // 2, 1)
        return predict_logits(m.model, codes, half, fast=True, runtime=m.runtime, precision=m.precision)

    @check_args
    def process(self, chunk: Chunk, limit: int, seq: SequenceCodes | None = None) -> None:
        """Queues the windows starting before ``limit``; the model scores the windows of consecutive chunks
        (short records) together once they fill :attr:`fill` windows (:mod:`carrousel.bio.model_windows`)."""
        starts, wins = chunk_windows(chunk, limit, self.window, self.stride)
        clean = wins < 4
        informative = clean.mean(axis=1) >= 0.5  # mostly-N windows are not tested
        self.stages["windows"] += int(starts.size)
        self.stages["windows_mostly_n"] += int((~informative).sum())
        if self.mask_lower:  # HOMER -mask: no score uses a masked base, so a window touching one is not
            # tested (as a PWM site touching one is not, and as the nulls' windows are drawn)
            whole = np.asarray(clean.all(axis=1))
            if chunk.start == 0 and chunk.last and chunk.codes.size < self.window:  # a short record's one
                # window: its N padding is no mask (the shuffled null draws it so too); its bases must be clean
                whole = np.full(whole.shape, bool((chunk.codes < 4).all()))
            self.stages["windows_masked"] += int((informative & ~whole).sum())
            informative &= whole
        if informative.any():
            item = ChunkWindows(chunk, starts[informative], wins[informative], seq)
            for queued in self._queue.add(item):
                self._score(queued)

    def flush(self) -> None:
        """Scores the queued windows (called by :meth:`hits` and :meth:`tests`)."""
        queued = self._queue.drain()
        if queued:
            self._score(queued)

    def _score(self, queued: list[ChunkWindows]) -> None:
        """One model pass over the windows of every queued chunk, then each chunk's candidates in order."""
        wins = np.concatenate([q.wins for q in queued]) if len(queued) > 1 else queued[0].wins
        out = self.outputs
        logits = np.full((wins.shape[0], len(self.motifs)), -np.inf)
        logits[:, out] = self.logits(wins)[:, out]
        pvals = np.ones_like(logits)
        pvals[:, out] = self.calibration.pvalues(logits, out)[:, out]
        terms = {k: (self.pwms[k], t) for k, t in self._site_thresholds.items()}
        pwm_p = pwm_window_terms(queued, terms, len(self.motifs), self.window)
        at = 0
        for q in queued:
            rows = slice(at, at + q.starts.size)
            at += q.starts.size
            self._keep(q.chunk, q.starts, q.wins, logits[rows], pvals[rows], pwm_p[rows])

    def _keep(
        self,
        chunk: Chunk,
        starts: np.ndarray,
        wins: np.ndarray,
        logits: np.ndarray,
        pvals: np.ndarray,
        pwm_p: np.ndarray,
    ) -> None:
        """Keeps one chunk's candidate windows: model p-value or window PWM p-value (the best site's, from
        the pre-pass: 1 for windows without a site that strong) at most ``pvalue``."""
        out = self.outputs
        self.n_tests[out] += starts.size
        self.stages["tests"] += int(starts.size * out.size)
        by_model = pvals <= self.pvalue
        self.stages["candidates_model"] += int(by_model.sum())
        flagged = pwm_p <= self.pvalue
        keep = by_model | flagged
        self.stages["candidates_pwm_only"] += int((keep & ~by_model).sum())
        wi, ki = np.nonzero(keep)
        if wi.size == 0:
            return
        # candidates wait for the whole-scan BH step; only those that pass are attributed (finish)
        self._cand.append(
            {
                "record": np.full(wi.size, chunk.record, dtype=object),
                "wstart": chunk.start + starts[wi],
                "k": ki,
                "p": pvals[wi, ki],
                "logit": logits[wi, ki],
                "pwm_p": pwm_p[wi, ki],
                "win": wins[wi],
            }
        )
        self._n_cand += int(wi.size)
        if self._n_cand > self.max_candidates:
            self._tighten()

    def _tighten(self) -> None:
        """Keeps memory bounded: halves the candidate p-value cut until the candidates fit."""
        cols = {key: np.concatenate([c[key] for c in self._cand]) for key in self._cand[0]}
        while cols["p"].size > self.max_candidates // 2:
            self.pvalue /= 2
            keep = cols["p"] <= self.pvalue
            cols = {key: v[keep] for key, v in cols.items()}
        logger.warning("model scan: candidate windows capped; p-value cut now %.2g", self.pvalue)
        self._cand, self._n_cand = [cols], int(cols["p"].size)

    def _finish(self) -> None:
        """BH over every tested window per motif, then attribution and site placement of the passing ones."""
        self.flush()
        if not self._cand:
            return
        cols = {key: np.concatenate([c[key] for c in self._cand]) for key in self._cand[0]}
        self._cand, self._n_cand = [], 0
        # each window tests "background" twice: the model's calibrated p-value and the exact p-value of its
        # best PWM site; Bonferroni over the two (valid whatever their dependence), then BH per motif over
        # every tested window (windows not kept as candidates count as p = 1, which only adds caution)
        combined = cols["p"].copy()
        by_pwm = np.zeros(combined.size, dtype=bool)  # the PWM term is the stronger evidence
        pwm_term = np.ones(combined.size)  # each window's PWM p-value (1: motif longer than the window)
        for k in np.unique(cols["k"]):
            sel = np.flatnonzero(cols["k"] == k)
            if self.pwms[k].length > self.window:
                continue
            # without the pre-pass the PWM term is computed here; with it, a window it did not flag has a
            # PWM term above pvalue, so above its model p-value: the pre-pass's value serves
            pw_p = (
                cols["pwm_p"][sel]
                if self._site_thresholds
                else window_pwm_pvalues(cols["win"][sel], self.pwms[k])
            )
            pwm_term[sel] = pw_p
            by_pwm[sel] = pw_p < combined[sel]
            combined[sel] = np.minimum(combined[sel], pw_p)
        joint = combined.copy()  # the smaller of the two p-values: what the pwm-rate rule cuts
        combined = np.minimum(2.0 * combined, 1.0)
        q = np.ones(cols["p"].size)
        for k in np.unique(cols["k"]):
            sel = np.flatnonzero(cols["k"] == k)
            q[sel] = benjamini_hochberg(combined[sel], int(self.n_tests[k]))
        passed = q <= self.qvalue if self.qvalue is not None else np.ones(q.size, dtype=bool)
        self.stages["passed_q"] += int(passed.sum())
        if self.rule.cuts:  # pwm-rate: the joint cut (or the PWM rule) replaces BH (q-values still reported)
            passed, self.choices = self.rule.decide(cols["k"], joint, pwm_term)
            by_pwm |= np.isin(cols["k"], [k for k, c in self.choices.items() if c.rule == "pwm"])  # PWM site
            self.stages["passed_pwm_rate"] += int(passed.sum())
        keep = np.flatnonzero(passed)
        if keep.size == 0:
            return
        cols = {key: v[keep] for key, v in cols.items()}
        q, by_pwm = q[keep], by_pwm[keep]
        W = self.window
        # attribution places the sites the network found; where the PWM term was the stronger evidence the
        # site is the best PWM site, so those windows skip it (the same sites, less work)
        attr = np.zeros(cols["win"].shape)
        net = np.flatnonzero(~by_pwm)
        if net.size:
            attr[net] = attribution(self.model.model, cols["win"][net], cols["k"][net])
        for k in np.unique(cols["k"]):
            sel = np.flatnonzero(cols["k"] == k)
            pw = self.pwms[k]
            if pw.length > W:
                self.stages["motif_longer_than_window"] += int(sel.size)
                continue
            wins = cols["win"][sel]
            # placed by the network's attribution, or at the best PWM site where that was the evidence
            off, strand, score, other = locate_sites(wins, attr[sel], pw)
            pb = np.flatnonzero(by_pwm[sel])
            if pb.size:
                for a, b in zip((off, strand, score, other), best_sites(wins[pb], pw), strict=True):
                    a[pb] = b
            # palindromic sites (the other strand scores within half a bit): report both strands
            twin = np.flatnonzero(other >= score - pw.scale / 2)
            idx = np.arange(sel.size)
            if twin.size:
                idx = np.concatenate([idx, twin])
                off = np.concatenate([off, off[twin]])
                strand = np.concatenate([strand, -strand[twin]])
                score = np.concatenate([score, other[twin]])
            L = pw.length
            site = wins[idx[:, None], off[:, None] + np.arange(L)[None, :]]
            seqs = window_sequences(site.reshape(-1), np.arange(idx.size) * L, L, strand == -1)
            g = sel[idx]
            self._rows.append(
                {
                    "record": cols["record"][g],
                    "start": cols["wstart"][g] + off,
                    "k": np.full(idx.size, k),
                    "strand": strand,
                    "pwm_score": score,
                    "prob": 1.0 / (1.0 + np.exp(-cols["logit"][g])),
                    "model_p": cols["p"][g],
                    "q": q[g],
                    "seq": np.array(seqs, dtype=object),
                }
            )

    def tests(self) -> dict[str, int]:
        """Windows tested per motif (the outputs tested)."""
        self.flush()
        return {self.motifs[k].id: int(self.n_tests[k]) for k in self.outputs}

    def hits(self) -> Hits:
        """Sites of windows passing the BH q-value threshold, one row per distinct site (best window)."""
        self._finish()
        if not self._rows:
            return Hits()
        cols = {key: np.concatenate([r[key] for r in self._rows]) for key in self._rows[0]}
        parts = []
        for k in np.unique(cols["k"]):
            keep = np.flatnonzero(cols["k"] == k)
            pw, m = self.pwms[k], self.motifs[k]
            # best first (q-value, then PWM score, then the window's model p-value: of two windows holding
            # one site, the more significant, whatever BH ties their q-values at); a site overlapping a
            # better one at another offset is the same signal seen from a neighbouring window: dropped
            order = np.lexsort((cols["model_p"][keep], -cols["pwm_score"][keep], cols["q"][keep]))
            keep = keep[order]
            uniq = distinct_sites(cols["record"][keep], cols["start"][keep], cols["strand"][keep], pw.length)
            self.stages["sites_overlapping_better"] += int(keep.size - uniq.size)
            keep = keep[uniq]
            self.stages["sites"] += int(keep.size)
            qk = cols["q"][keep]
            parts.append(
                Hits.from_columns(
                    record=cols["record"][keep],
                    start=cols["start"][keep],
                    end=cols["start"][keep] + pw.length,
                    strand=np.where(cols["strand"][keep] == 1, "+", "-").astype(object),
                    motif_id=np.full(keep.size, m.id, dtype=object),
                    motif_name=np.full(keep.size, m.name, dtype=object),
                    pwm_score=pw.to_bits(cols["pwm_score"][keep]),
                    pvalue=pw.pvalue(cols["pwm_score"][keep]),
                    qvalue=qk,
                    method=np.full(keep.size, "model", dtype=object),
                    model_score=cols["prob"][keep],
                    model_pvalue=cols["model_p"][keep],
                    sequence=cols["seq"][keep],
                )
            )
        return Hits.concat(parts)
