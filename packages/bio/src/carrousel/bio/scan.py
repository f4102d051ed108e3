"""Genome scans: stream a FASTA file once (after a counting pass for the background) through the PWM
scanner (:mod:`carrousel.bio.pwm_scanner`), the model scanner, or both, and collect hits with exact
p-values and whole-scan q-values."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from carrousel.bio.config import BackgroundKind, Method, ScanConfig
from carrousel.bio.errors import MotifNotFoundError, ScanConfigError
from carrousel.bio.fasta import RecordInfo, count_bases, iter_chunks
from carrousel.bio.fasta_names import check_unique_names
from carrousel.bio.hits import Hits, ScanResult
from carrousel.bio.magic import kept_unpacked
from carrousel.bio.motif_names import motif_specs
from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes
from carrousel.bio.pwm_null import Background
from carrousel.bio.pwm_scanner import PWMScanner
from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.core.text import name_some

if TYPE_CHECKING:  # the model side imports torch: only a scan with a model loads it
    from carrousel.bio.models import MotifModel

__all__ = ["PWMScanner", "estimate_background", "scan_genome"]

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


@check_args
def estimate_background(
    path: str | Path, order: int = 0, mask_lower: bool = False
) -> tuple[Background, list[RecordInfo]]:
    """Background from the genome itself (strand-symmetrised; lower case left out with ``mask_lower``)."""
    mono, di, records = count_bases(path, mask_lower)
    if not mono.any():  # nothing to count: from_counts gives uniform (Background.fallback)
        logger.warning(
            "%s: no A, C, G or T%s to count; the PWM background is uniform", path, mask_lower * " unmasked"
        )
    return Background.from_counts(mono, di, order), records


@kept_unpacked()  # one copy of a .2bit.gz for every pass, removed on return
@check_args
def scan_genome(
    path: str | Path,
    config: ScanConfig | None = None,
    motifs: Sequence[Motif] | None = None,
    model: MotifModel | None = None,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
    spill_dir: str | Path | None = None,
    *,
    check_names: bool = True,
) -> ScanResult:
    """Scans a FASTA(.gz) genome in bounded memory.

    Every motif's integer PWM is built once per scan (against the scan's background) and shared by the
    PWM scanner and the model scanner.

    Args:
        path: FASTA or FASTA.gz.
        config: scan options (defaults: PWM method, p <= 1e-4).
        motifs: motifs to scan (default: ``config.motifs`` resolved, or the model's motifs).
        model: the trained model for the ``model`` and ``both`` methods
            (:func:`carrousel.bio.pipeline.load_model`; ``pipeline.scan`` loads the packaged panel).
        progress: called with the number of bases just scanned, after each chunk.
        total: called once with the genome's total bases, before the scan pass.
        spill_dir: folder of the temporary file that PWM hits past 64 MiB go to (default: the system's
            temporary folder); it is deleted when the result is closed or collected, or on an error.
        check_names: refuse a file with a duplicate record name up front, in a quick pass over its
            header lines (:func:`~carrousel.bio.fasta_names.check_unique_names`), rather than when the
            scan reaches it; False when the caller has already checked (``pipeline.scan`` does, before it
            loads a model).

    Returns:
        A :class:`ScanResult` (hits sorted by record and position; PWM hits are read back from the
        temporary file as they are used, a table at a time through
        :func:`carrousel.bio.hit_store.hit_blocks`).

    Raises:
        ScanConfigError: no motifs, no model for a model scan, or motifs that are not model outputs.
        FastaFormatError: two records share a name (and the other errors of the FASTA reader).
    """
    path = user_path(path)  # a Python caller's "~/genome.fa"
    cfg = config or ScanConfig()
    t0 = time.perf_counter()
    if check_names:
        check_unique_names(path)
    method = cfg.method
    if method is not Method.pwm and model is None:
        raise ScanConfigError(
            f"method {method.value} needs a model; load one with carrousel.bio.pipeline.load_model"
        )
    use_model = model if method is not Method.pwm else None
    if motifs is None:
        if cfg.motifs and use_model is not None:  # the model's own outputs first (-m CTCF: its CTCF)
            motifs = _model_motifs(cfg.motifs, use_model.motifs, method, cfg.jaspar_release)
        elif cfg.motifs:
            motifs = resolve_motifs(list(cfg.motifs), cfg.jaspar_release)
        elif model is not None:
            motifs = model.motifs
        else:
            raise ScanConfigError(f"no motifs to scan; give {option('motifs', flag='--motif')} or a model")
    if use_model is not None and method is Method.model and cfg.motifs:  # motifs given by the caller
        outputs = {m.id for m in use_model.motifs}
        missing = [m.id for m in motifs if m.id not in outputs]
        if missing:
            raise ScanConfigError(
                f"motif(s) {', '.join(missing)} are not outputs of the model; use {option('method', 'pwm')} or both"
            )
    bg, records = (
        estimate_background(path, cfg.background_order, cfg.mask_lower)
        if cfg.background is BackgroundKind.input
        else (Background.uniform(), [])
    )
    kind = "uniform" if bg.fallback else cfg.background.value  # input without a base to count: uniform
    order = f", order {bg.order}" if kind == "input" else ""
    logger.info("PWM background: %s (A C G T %s%s)", kind, " ".join(f"{x:.3f}" for x in bg.mono), order)
    if total is not None:
        total(sum(r.length for r in records))
    pwms: dict[tuple[str, str, tuple[int, ...], bytes], IntegerPWM] = {}

    def pwm_of(m: Motif) -> IntegerPWM:  # one PWM per distinct motif, shared by both scanners
        counts = np.asarray(m.counts, dtype=np.float64)
        key = (m.id, m.name, counts.shape, counts.tobytes())
        if key not in pwms:
            pwms[key] = IntegerPWM(m, bg, cfg.pseudocount)
        return pwms[key]

    model_scanner = None
    if use_model is not None:
        from carrousel.bio.model_null import choose_null
        from carrousel.bio.model_scan import ModelScanner

        wanted = {m.id for m in motifs} if cfg.motifs else None  # --motif X: only X's output is tested
        model_scanner = ModelScanner(
            use_model,
            [pwm_of(m) for m in use_model.motifs],
            cfg.model_pvalue,
            cfg.model_qvalue,
            cfg.stride,
            cfg.batch_size,
            outputs=[k for k, m in enumerate(use_model.motifs) if wanted is None or m.id in wanted],
            calls=cfg.calls,
            site_pvalue=cfg.pvalue,
            mask_lower=cfg.mask_lower,
        )
        model_scanner.use_null(choose_null(use_model, model_scanner.logits, path, cfg, records))
    use_pwm = method is not Method.model and bool(motifs)
    pwm_scanner = (
        PWMScanner(
            [pwm_of(m) for m in motifs], cfg.pvalue, exact_qvalues=cfg.exact_qvalues, spill_dir=spill_dir
        )
        if use_pwm
        else None
    )
    overlap = max(
        pwm_scanner.max_length - 1 if pwm_scanner else 0,
        model_scanner.overlap if model_scanner else 0,
    )
    seen: list[RecordInfo] = []
    covered = 0
    tests: dict[str, int] = {}
    try:
        first = max(cfg.chunk_size // 8, 1000)  # the workers start on a small first chunk
        chunks = iter_chunks(path, cfg.chunk_size, overlap, seen, first, cfg.mask_lower)
        for chunk in chunks:
            limit = chunk.codes.size if chunk.last else chunk.codes.size - overlap
            seq = SequenceCodes(chunk.codes)
            if pwm_scanner is not None:
                pwm_scanner.process(chunk, limit, seq)  # queued: the next chunk is read meanwhile
            if model_scanner is not None:
                model_scanner.process(chunk, limit, seq)
            end = chunk.start + chunk.codes.size
            new = end - covered if chunk.start > 0 else end
            covered = 0 if chunk.last else end
            if progress is not None and new > 0:
                progress(new)
        if pwm_scanner is not None:
            tests.update(pwm_scanner.tests())
        model_hits = None
        if model_scanner is not None:
            model_hits = model_scanner.hits()
            tests.update({f"{k}:model": v for k, v in model_scanner.tests().items()})
            logger.info("model scan stages: %s", model_scanner.stages)
            _warn_untested(model_scanner.stages, model_scanner.window)
        hits = (
            pwm_scanner.hits(cfg.qvalue, model_hits)  # PWM hits stay packed until they are written
            if pwm_scanner is not None
            else Hits.concat([model_hits] if model_hits is not None else []).sorted()
        )
    except BaseException:
        if pwm_scanner is not None:
            pwm_scanner.store.close()  # the temporary hit file goes now, not when collected
        raise
    finally:
        if pwm_scanner is not None:
            pwm_scanner.close()
    used = list(motifs)
    if method is Method.model and model_scanner is not None:  # the outputs tested, not the whole panel
        used = [model_scanner.motifs[k] for k in model_scanner.outputs]
    total_bases = sum(r.length for r in seen)
    return ScanResult(
        hits=hits,
        records=seen,
        bases=total_bases,
        motifs=[(m.id, m.name) for m in used],
        method=method.value,
        tests=tests,
        seconds=time.perf_counter() - t0,
        background=bg.mono.tolist(),
        background_kind=kind,
        background_order=0 if bg.fallback else bg.order,  # all N: uniform, as background_kind says
        background_transitions=None if bg.fallback or bg.trans is None else bg.trans.tolist(),
        mask_lower=cfg.mask_lower,
        jaspar_release=cfg.jaspar_release,
        model_null=model_scanner.null.summary() if model_scanner is not None else {},
        model_stages=dict(model_scanner.stages) if model_scanner is not None else {},
        model_calls=(
            model_scanner.rule.summary(model_scanner.choices, [m.id for m in model_scanner.motifs])
            if model_scanner is not None
            else {}
        ),
    )


def _model_motifs(
    specs: Sequence[str], outputs: Sequence[Motif], method: Method, release: str
) -> list[Motif]:
    """The ``--motif`` specs of a scan with a model: each one an output of the model when it names one (by
    ID, by ID without its version, then by name; case ignored), else resolved as without a model (JASPAR,
    files) for the PWM scan of ``both`` alone, with a warning.

    Raises:
        ScanConfigError: (``model``) a spec names no output of the model; the message names the outputs.
    """
    shown = name_some((m.id if m.name in ("", m.id) else f"{m.id} ({m.name})" for m in outputs), 10)
    ids = {m.id for m in outputs}
    out: dict[str, Motif] = {}
    for spec in motif_specs(specs):
        key = spec.upper()
        found = (
            [m for m in outputs if m.id.upper() == key]
            or [m for m in outputs if m.id.upper().split(".")[0] == key]
            or [m for m in outputs if m.name.upper() == key]
        )
        lacking = f"motif {spec!r} is not an output of the model, whose outputs are {shown}"
        if not found:
            try:
                found = resolve_motifs(spec, release)  # a file or collection may hold outputs of the model
            except MotifNotFoundError:
                if method is Method.model:
                    raise ScanConfigError(
                        f"{lacking}; give one of them, or use {option('method', 'pwm')} or both"
                    ) from None
                raise
            if not {m.id for m in found} <= ids:
                if method is Method.model:
                    raise ScanConfigError(
                        f"{lacking}; give one of them, or use {option('method', 'pwm')} or both"
                    )
                logger.warning("%s; scanned by its PWM only", lacking)
        for m in found:
            out.setdefault(m.id, m)
    return list(out.values())


def _warn_untested(stages: dict[str, int], window: int) -> None:
    """Warns when most model windows went untested (more than half N: short records padded, N runs); a
    scan of 26-bp sites with a 200-bp model reported 0 hits with no word that nothing was scored."""
    n, skipped = stages["windows"], stages["windows_mostly_n"]
    if n and 2 * skipped >= n:
        logger.warning(
            "%d of %d model windows are mostly N (records shorter than half the %d-base window, or N runs) "
            "and were not tested; use %s for short sequences",
            *(skipped, n, window, option("method", "pwm")),
        )
    masked = stages.get("windows_masked", 0)
    if n and 2 * masked >= n:
        logger.warning(
            "%d of %d model windows touch a soft-masked base or an N and were not tested (%s: no "
            "score uses a masked base); %s also tests the PWM sites between masked runs",
            *(masked, n),
            option("mask_lower", True, "--mask-lower"),
            option("method", "both"),
        )
