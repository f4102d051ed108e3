"""Frozen configurations of carrousel.bio: scanning, models, training and discovery."""

from __future__ import annotations

from dataclasses import dataclass

from carrousel.bio.errors import ScanConfigError

__all__ = ["DiscoverConfig", "ScanConfig", "SynthConfig"]


@dataclass(frozen=True)
class ScanConfig:
    """How ``bio scan`` finds sites."""

    method: str = "pwm"  # pwm | model | both
    motifs: tuple[str, ...] = ()  # motif specs (IDs, names, jaspar:CORE/vertebrates, files); () = model panel
    pvalue: float = 1e-4  # report PWM sites with an exact p-value at most this (FIMO's default)
    qvalue: float | None = None  # also require a BH q-value at most this (None: no q filter)
    exact_qvalues: bool = False  # histogram every window: exact BH q-values above the p threshold too
    background: str = "input"  # input (estimated from the genome) | uniform
    background_order: int = 0  # 0 or 1: Markov order of the background
    pseudocount: float = 0.1  # total pseudocount per motif column, spread by the background
    chunk_size: int = 1 << 21  # bases held per chunk while streaming (bounds memory)
    model: str | None = None  # model folder for method model/both (None: the packaged panel model)
    model_pvalue: float = 0.01  # model windows with an empirical p-value at most this are attributed, kept
    model_qvalue: float | None = 0.05  # model sites: BH q-value over all tested windows at most this
    stride: int | None = None  # model window step in bases (None: window - longest motif - 1)
    batch_size: int = 256  # model windows per forward pass
    calibration: str = (
        "genome"  # model null: genome (shuffled windows of the scanned genome) | model (stored)
    )
    n_null: int = 2000  # shuffled windows for the genome null
    device: str = "cpu"  # device for the model: cpu | cuda | auto
    jaspar_release: str = "JASPAR2024"  # pyjaspar release used for IDs and names

    def __post_init__(self) -> None:
        if self.method not in ("pwm", "model", "both"):
            raise ScanConfigError(f"method must be pwm, model or both, not {self.method!r}")
        if not 0.0 < self.pvalue <= 1.0:
            raise ScanConfigError(f"pvalue threshold must be in (0, 1], got {self.pvalue}")
        if self.qvalue is not None and not 0.0 < self.qvalue <= 1.0:
            raise ScanConfigError(f"qvalue threshold must be in (0, 1], got {self.qvalue}")
        if self.background not in ("input", "uniform"):
            raise ScanConfigError(f"background must be 'input' or 'uniform', not {self.background!r}")
        if self.background_order not in (0, 1):
            raise ScanConfigError(f"background order must be 0 or 1, got {self.background_order}")
        if self.calibration not in ("genome", "model"):
            raise ScanConfigError(f"calibration must be 'genome' or 'model', not {self.calibration!r}")
        if self.chunk_size < 1000:
            raise ScanConfigError("chunk_size must be at least 1000 bases")


@dataclass(frozen=True)
class SynthConfig:
    """Planted synthetic training data: motif instances in real genomic background."""

    window: int = 200  # bases per training window
    n_per_motif: int = 600  # positive windows per motif
    n_shuffled: int = 3000  # negatives: dinucleotide-shuffled positives
    n_background: int = 3000  # negatives: plain genomic windows
    n_decoy: int = 1500  # negatives: windows with a shuffled-column decoy motif planted
    multi_fraction: float = 0.2  # fraction of positives with a second, different motif planted
    seed: int = 0  # random seed
    sample_fraction: float = (
        1.0  # sample instances from the motif's frequencies with this temperature (1 = as is)
    )


@dataclass(frozen=True)
class DiscoverConfig:
    """How ``bio discover`` turns a model's filters into motifs and matches them to JASPAR."""

    activation_quantile: float = (
        0.9  # a filter 'fires' where its activation is above this fraction of its max
    )
    max_sites: int = 2000  # sequences' best sites used per filter
    min_sites: int = 20  # filters with fewer firing sites are dropped
    top_matches: int = 3  # JASPAR matches listed per motif
    collection: str = "jaspar:CORE/vertebrates"  # JASPAR set to compare against
    report: str = "md"  # md | html
