"""The named choices of carrousel.bio's configurations (:mod:`carrousel.bio.config`): one
:class:`enum.StrEnum` per choice, listing the accepted names. :mod:`carrousel.bio.config` re-exports them;
import them from there.
"""

from __future__ import annotations

import enum

__all__ = ["BackgroundKind", "Calibration", "HitFormat", "Method", "ModelCalls", "ReportFormat"]


class Method(enum.StrEnum):
    """How ``bio scan`` finds sites."""

    pwm = "pwm"  # exact PWM p-values and whole-scan q-values
    model = "model"  # the trained CNN-BiLSTM, with each site placed and given its PWM p-value
    both = "both"  # both, reported side by side


class BackgroundKind(enum.StrEnum):
    """Where the PWM background comes from."""

    uniform = "uniform"  # equal base probabilities (the default, as FIMO's)
    input = "input"  # estimated from the sequences being scanned (strand-symmetrised)


class Calibration(enum.StrEnum):
    """The model's null distribution."""

    auto = "auto"  # a peak set (many short records): the stored background; a genome: its own shuffles
    genome = "genome"  # dinucleotide-shuffled windows of the FASTA being scanned
    model = "model"  # the shuffled null stored with the model
    background = "background"  # the held-out real background stored with the model


class ModelCalls(enum.StrEnum):
    """How the model scan calls windows (:mod:`carrousel.bio.model_calls`)."""

    auto = "auto"  # pwm-rate on a peak set scored against null windows of this scan, else fdr
    fdr = "fdr"  # BH q-value over every tested window at most model_qvalue
    pwm_rate = "pwm-rate"  # the PWM method's per-window false-positive rate, joint cut set on the null


class HitFormat(enum.StrEnum):
    """Hit file formats (``bio scan --format``)."""

    bed = "bed"  # BED6
    gff3 = "gff3"  # GFF3, one TF_binding_site per hit
    tsv = "tsv"  # FIMO-like table with p- and q-values
    json = "json"  # the summary and every hit


class ReportFormat(enum.StrEnum):
    """``bio discover`` report format."""

    md = "md"
    html = "html"
