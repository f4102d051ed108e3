"""Frozen configurations of carrousel.bio, one per command: :class:`ScanConfig`, :class:`TrainConfig`,
:class:`EvaluateConfig` and :class:`DiscoverConfig`, composed of smaller parts and checked on creation
(ranges, probabilities in (0, 1], finite numbers, choices). Override a field with
:func:`dataclasses.replace`; read one from TOML with :func:`carrousel.core.config.load_toml`.

Choices are :class:`enum.StrEnum` members (``Method.pwm == "pwm"``); a plain string is accepted
and turned into the member, so TOML files and Python callers may write ``method = "pwm"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from carrousel.bio.choices import BackgroundKind, Calibration, HitFormat, Method, ModelCalls, ReportFormat
from carrousel.bio.config_checks import refuse_pwm_only_model
from carrousel.bio.config_checks import refuse_unused_export_options as _unused_export
from carrousel.bio.config_checks import refuse_unused_scan_options as _unused
from carrousel.bio.config_checks import set_choice as _choice
from carrousel.bio.config_checks import store_motif_specs as _motif_specs
from carrousel.bio.config_checks import store_release as _release
from carrousel.bio.errors import (
    BioError,
    DiscoverConfigError,
    EnrichConfigError,
    EvaluateConfigError,
    ExportConfigError,
    ScanConfigError,
    TrainConfigError,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core.config import MAX_EPOCHS, check_device, check_numbers
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.export.choices import check_precision_name, check_variant
from carrousel.core.option_names import option

__all__ = [
    "BackgroundKind",
    "Calibration",
    "DiscoverConfig",
    "EnrichConfig",
    "EvaluateConfig",
    "ExportConfig",
    "FitConfig",
    "HitFormat",
    "Method",
    "ModelCalls",
    "MotifExtraction",
    "NetworkConfig",
    "ReportFormat",
    "ScanConfig",
    "SynthConfig",
    "TrainConfig",
    "TrainDataConfig",
]


def _probability(name: str, value: float | None, error: type[BioError]) -> None:
    if value is not None and not 0.0 < value <= 1.0:
        raise error(f"{name} must be in (0, 1], got {value}")


def _at_least(name: str, value: int | None, low: int, error: type[BioError], high: int | None = None) -> None:
    if value is not None and value < low:
        raise error(f"{name} must be an integer >= {low}, got {value}")
    if value is not None and high is not None and value > high:
        raise error(f"{name} {value:,} is over the limit of {high:,}; give a smaller value")


# upper bounds: far above any sensible run, low enough that a typo fails at once (no memory exhausted)
MAX_WINDOW = 100_000  # bases per training window
MAX_BATCH = 1 << 20  # windows per batch
MAX_FILTERS = 4096  # convolutional detectors
MAX_KERNEL = 1001  # detector width
MAX_HIDDEN = 4096  # LSTM units per direction
MAX_PER_MOTIF = 1_000_000  # planted positives per motif
MAX_NEGATIVES = 10_000_000  # planted negatives of each kind
MAX_NULL = 1_000_000  # null windows of a calibration
MAX_SHUFFLES = 100  # shuffles per target for an enrichment background


@dataclass(frozen=True)
class ScanConfig:
    """How ``bio scan`` finds sites."""

    method: Method = Method.pwm  # pwm | model | both (the CLI's default: pwm with --motif, else model)
    motifs: tuple[str, ...] = ()  # motif specs (IDs, names, jaspar:CORE/vertebrates, files); () = model panel
    pvalue: float = 1e-4  # report PWM sites with an exact p-value at most this (FIMO's default)
    qvalue: float | None = None  # also require a BH q-value at most this (None: no q filter)
    exact_qvalues: bool = False  # histogram every window: exact BH q-values above the p threshold too
    background: BackgroundKind = BackgroundKind.uniform  # uniform (FIMO's default) | input (the genome's)
    background_order: int = 0  # 0 or 1: Markov order of the background
    mask_lower: bool = False  # read soft-masked (lower-case) bases as N: no site touches them (HOMER -mask)
    pseudocount: float = 0.1  # total pseudocount per motif column, spread by the background
    chunk_size: int = 1 << 21  # bases held per chunk while streaming (bounds memory)
    model: str | None = None  # model folder for method model/both (None: the packaged panel model)
    model_pvalue: float = 0.05  # candidates: model or PWM p at most this (= model_qvalue: loses nothing)
    model_qvalue: float | None = 0.05  # model sites: BH q-value over all tested windows at most this
    stride: int | None = None  # model window step in bases (None: window - longest motif - 1)
    batch_size: int = 256  # model windows per forward pass (both strands counted)
    calibration: Calibration = Calibration.auto  # model null: auto | genome | model | background
    model_background: str | None = None  # FASTA of background whose windows (unshuffled) are the null
    calls: ModelCalls = ModelCalls.auto  # model calls: auto | fdr (BH) | pwm-rate (the PWM's window rate)
    n_null: int = 2000  # shuffled windows for the genome null
    device: str = "cpu"  # device for the model: cpu | cuda | cuda:N | mps | auto (check_device)
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections
    precision: InferencePrecision = InferencePrecision.FP32  # the model's numbers: fp32 | bf16 | fp16 (GPU)

    def __post_init__(self) -> None:
        check_numbers(self, ScanConfigError, paths="model model_background")
        _release(self, ScanConfigError)
        _motif_specs(self)
        object.__setattr__(self, "device", check_device(self.device, ScanConfigError))
        kinds = {"method": Method, "background": BackgroundKind, "calibration": Calibration}
        for name, kind in (kinds | {"calls": ModelCalls}).items():
            _choice(self, name, kind, ScanConfigError)
        object.__setattr__(self, "precision", check_precision_name(self.precision, ScanConfigError))
        _motif_specs(self)
        _probability("pvalue threshold", self.pvalue, ScanConfigError)
        _probability("qvalue threshold", self.qvalue, ScanConfigError)
        _probability("model p-value threshold", self.model_pvalue, ScanConfigError)
        _probability("model q-value threshold", self.model_qvalue, ScanConfigError)
        if self.background_order not in (0, 1):
            raise ScanConfigError(f"background order must be 0 or 1, got {self.background_order}")
        if not math.isfinite(self.pseudocount):
            raise ScanConfigError(f"pseudocount must be a finite number, got {self.pseudocount}")
        if self.pseudocount <= 0:
            raise ScanConfigError(f"pseudocount must be positive, got {self.pseudocount}")
        _at_least("stride", self.stride, 1, ScanConfigError, MAX_WINDOW)
        _at_least("batch size", self.batch_size, 1, ScanConfigError, MAX_BATCH)
        _at_least("n_null", self.n_null, 1, ScanConfigError, MAX_NULL)
        _at_least("chunk_size", self.chunk_size, 1000, ScanConfigError, 1 << 30)
        _unused(self, ScanConfigError)  # after the choices: method='pwm' from Python is Method.pwm


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
    sample_fraction: float = 1.0  # sample instances from the motif's frequencies with this temperature

    def __post_init__(self) -> None:
        check_numbers(self, TrainConfigError)


@dataclass(frozen=True)
class TrainDataConfig:
    """Where ``bio train`` takes its windows from: planted ``motifs`` in genomic background,
    ``positives`` (+ ``negatives``) FASTA, or ``peaks`` on a ``genome``."""

    motifs: tuple[str, ...] = ()  # planted training: motif specs; with other sources they seed the filters
    positives: str | None = None  # FASTA of positive sequences
    negatives: str | None = None  # FASTA of negatives (default: GC-matched genome windows or shuffles)
    peaks: str | None = None  # BED / narrowPeak of positive regions on `genome`
    genome: str | None = None  # genome FASTA (default for planted and peak training: the E. coli sample)
    window: int = 200  # window in bases
    per_motif: int = 400  # planted: positive windows per motif
    n_negatives: int = 0  # planted: negatives of each kind (0: max(per_motif * motifs / 4, 500))
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections

    def __post_init__(self) -> None:
        check_numbers(self, TrainConfigError, paths="positives negatives peaks genome")
        _release(self, TrainConfigError)
        if self.positives is not None and self.peaks is not None:  # --peaks would be ignored
            pos, neg, peaks, genome = map(option, ("positives", "negatives", "peaks", "genome"))
            raise TrainConfigError(
                f"{pos} and {peaks} both give the positives; give one: {pos} (with {neg}) or {peaks} with {genome}"
            )
        _motif_specs(self)
        _at_least("window", self.window, 1, TrainConfigError, MAX_WINDOW)
        _at_least(f"{option('per_motif')} windows", self.per_motif, 1, TrainConfigError, MAX_PER_MOTIF)
        _at_least("number of negatives", self.n_negatives, 0, TrainConfigError, MAX_NEGATIVES)


@dataclass(frozen=True)
class NetworkConfig:
    """Shape of the DanQ network that ``bio train`` builds (its outputs follow from the data)."""

    filters: int = 64  # convolutional motif detectors
    kernel: int = 19  # detector width in bases
    hidden: int = 32  # LSTM units per direction

    def __post_init__(self) -> None:
        check_numbers(self, TrainConfigError)
        for name, high in (("filters", MAX_FILTERS), ("kernel", MAX_KERNEL), ("hidden", MAX_HIDDEN)):
            _at_least(name, getattr(self, name), 1, TrainConfigError, high)


@dataclass(frozen=True)
class FitConfig:
    """How ``bio train`` fits and calibrates the network."""

    epochs: int = 40  # most training epochs (early stopping usually ends sooner)
    patience: int = 5  # stop after this many epochs without a held-out AUROC gain (0: run every epoch)
    lr: float = 2e-3  # learning rate (AdamW; halved when the held-out AUROC stalls, else cosine)
    batch_size: int = 128  # windows per batch
    seed: int = 0  # random seed (data, split, initialisation, null)
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    val_fraction: float = 0.2  # held-out fraction (GC-stratified): early stopping, figures, background null
    n_null: int = 4000  # dinucleotide-shuffled background windows for the null calibration
    shuffled_negatives: bool = False  # with real negatives, also train on shuffled positives as negatives
    precision: InferencePrecision = InferencePrecision.FP32  # training arithmetic: fp32 | bf16 | fp16 (GPU)
    # autocast; the weights stay float32

    def __post_init__(self) -> None:
        check_numbers(self, TrainConfigError)
        object.__setattr__(self, "device", check_device(self.device, TrainConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, TrainConfigError))
        _at_least("epochs", self.epochs, 1, TrainConfigError, MAX_EPOCHS)
        _at_least("patience", self.patience, 0, TrainConfigError, MAX_EPOCHS)
        _at_least("batch size", self.batch_size, 1, TrainConfigError, MAX_BATCH)
        _at_least("seed", self.seed, 0, TrainConfigError)
        _at_least("n_null", self.n_null, 1, TrainConfigError, MAX_NULL)
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise TrainConfigError(f"learning rate must be a finite number > 0, got {self.lr}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise TrainConfigError(f"validation fraction must be in [0, 1), got {self.val_fraction}")


@dataclass(frozen=True)
class TrainConfig:
    """``bio train``: the data, the network and the fit."""

    data: TrainDataConfig = field(default_factory=TrainDataConfig)  # where the windows come from
    network: NetworkConfig = field(default_factory=NetworkConfig)  # the DanQ shape
    fit: FitConfig = field(default_factory=FitConfig)  # optimisation and calibration

    def __post_init__(self) -> None:
        check_numbers(self, TrainConfigError)
        if self.network.kernel > self.data.window:
            raise TrainConfigError(
                f"kernel {self.network.kernel} is wider than the window {self.data.window}; "
                f"give a smaller {option('network.kernel')} or a larger {option('data.window')}"
            )


@dataclass(frozen=True)
class EvaluateConfig:
    """``bio evaluate``: a model and the best single PWM on the same positives and negatives."""

    positives: str | None = None  # FASTA of positive sequences (required)
    negatives: str | None = None  # FASTA of negative sequences (required)
    model: str | None = None  # model folder (None: the packaged panel)
    motifs: tuple[str, ...] = ()  # PWMs to compare (default: the model's motifs)
    task: str | None = None  # model output (ID, name, index) or "max"; None: the positives' motif's output
    pwm_only: bool = False  # evaluate PWMs only (needs motifs)
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    precision: InferencePrecision = InferencePrecision.FP32  # the model's numbers: fp32 | bf16 | fp16 (GPU)

    def __post_init__(self) -> None:
        check_numbers(self, EvaluateConfigError, paths="positives negatives model")
        _release(self, EvaluateConfigError)
        refuse_pwm_only_model(self.pwm_only, self.model, EvaluateConfigError)  # it was ignored
        _motif_specs(self)
        object.__setattr__(self, "device", check_device(self.device, EvaluateConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, EvaluateConfigError))


@dataclass(frozen=True)
class ExportConfig:
    """``bio export``: a model with its network as ONNX (fp32 or int8) and a report of what it costs."""

    model: str | None = None  # model folder (None: the packaged panel)
    precision: DeployPrecision = DeployPrecision.INT8  # fp32 | int8 (calibrated int8 conv, fp32 LSTM)
    exporter: Exporter = Exporter.TORCHSCRIPT  # torchscript | dynamo (PyTorch's two ONNX exporters)
    positives: str | None = None  # FASTA of held-out positives: AUROC before and after (with negatives)
    negatives: str | None = None  # FASTA of held-out negatives
    motifs: tuple[str, ...] = ()  # the motif whose model output is scored (default: chosen as evaluate does)
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections
    prune: float = 0.0  # share of the LSTM's units to remove, then fine-tune on the training windows
    finetune_epochs: int = 5  # most fine-tuning epochs of the pruned network / training epochs of the student
    distill: int = 0  # LSTM units per direction of a student trained on the full network's outputs (0: none)
    distill_filters: int = 0  # with distill: the student's convolution filters (0: the full network's)
    train_positives: str | None = None  # FASTA to fine-tune on (default: the model's recorded training data)
    train_negatives: str | None = None  # FASTA of negatives to fine-tune on (with train_positives)

    def __post_init__(self) -> None:
        check_numbers(self, ExportConfigError, paths="positives negatives train_positives train_negatives")
        _release(self, ExportConfigError)
        _motif_specs(self)
        _choice(self, "precision", DeployPrecision, ExportConfigError)
        _choice(self, "exporter", Exporter, ExportConfigError)
        if (self.positives is None) != (self.negatives is None):
            raise ExportConfigError(
                f"give both {option('positives')} and {option('negatives')} for the AUROC, or neither"
            )
        if not 0.0 <= self.prune < 1.0:
            raise ExportConfigError(f"{option('prune', self.prune)}: give the share of units to remove, "
                                    "in [0, 1)")  # fmt: skip
        _at_least("fine-tuning epochs", self.finetune_epochs, 1, ExportConfigError, MAX_EPOCHS)
        check_variant(self.prune, self.distill, ExportConfigError)
        _at_least(option("distill_filters"), self.distill_filters, 0, ExportConfigError, MAX_FILTERS)
        windows = bool(self.train_positives or self.train_negatives)
        _unused_export(self.prune, self.distill, self.distill_filters, windows, ExportConfigError)
        if self.train_negatives is not None and self.train_positives is None:
            raise ExportConfigError(f"{option('train_negatives')} needs {option('train_positives')}")


@dataclass(frozen=True)
class EnrichConfig:
    """``bio enrich``: known-motif enrichment of target sequences over a background (HOMER-style)."""

    targets: str | None = None  # FASTA of the target sequences (required), e.g. ChIP-seq peaks
    background: str | None = None  # FASTA of background sequences (None: shuffles of the targets)
    motifs: tuple[str, ...] = ("jaspar:CORE/vertebrates",)  # motif specs (IDs, names, collections, files)
    pvalue: float = 1e-4  # a sequence holds a hit where a window's exact PWM p-value is at most this
    pwm_background: BackgroundKind = BackgroundKind.uniform  # PWM base composition: uniform | input
    shuffles: int = 2  # without a background: dinucleotide shuffles per target sequence
    seed: int = 0  # random seed of the shuffles
    pseudocount: float = 0.1  # total pseudocount per motif column, spread by the PWM background
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections
    mask_lower: bool = False  # read soft-masked (lower-case) bases as N on both sides (HOMER -mask)

    def __post_init__(self) -> None:
        check_numbers(self, EnrichConfigError, paths="targets background")
        _release(self, EnrichConfigError)
        _choice(self, "pwm_background", BackgroundKind, EnrichConfigError)
        _motif_specs(self)
        if not self.motifs:
            raise EnrichConfigError(f"no motifs to test; give {option('motifs', flag='--motif')} "
                                    "(default: jaspar:CORE/vertebrates)")  # fmt: skip
        _probability("pvalue threshold", self.pvalue, EnrichConfigError)
        _at_least("shuffles per sequence", self.shuffles, 1, EnrichConfigError, MAX_SHUFFLES)
        _at_least("seed", self.seed, 0, EnrichConfigError)
        p = self.pseudocount
        if not (math.isfinite(p) and p > 0):
            raise EnrichConfigError(f"pseudocount must be a finite number > 0, got {p}")


@dataclass(frozen=True)
class MotifExtraction:
    """How ``bio discover`` turns a model's filters into motifs and matches them to JASPAR."""

    activation_fraction: float = 0.5  # a filter fires in a window whose max activation is >= this x its max
    max_sites: int = 2000  # windows' best sites (strongest first) averaged into a filter's matrix
    min_sites: int = 20  # filters firing in fewer windows are dropped
    top_matches: int = 3  # JASPAR matches listed per motif
    rank_windows: int = 500  # windows on which each filter is zeroed to measure its contribution
    min_overlap: int = 5  # columns a motif and a JASPAR matrix must share to be compared

    def __post_init__(self) -> None:
        check_numbers(self, DiscoverConfigError)
        _probability("activation fraction", self.activation_fraction, DiscoverConfigError)
        for name in ("max_sites", "min_sites", "top_matches", "rank_windows", "min_overlap"):
            _at_least(name.replace("_", " "), getattr(self, name), 1, DiscoverConfigError)


@dataclass(frozen=True)
class DiscoverConfig:
    """``bio discover``: motifs from a model's filters (training one on ``sequences`` first when no
    ``model`` is given), matched to JASPAR, with logos and a report."""

    model: str | None = None  # model folder to extract motifs from (None: train one on `sequences`)
    sequences: str | None = None  # positive FASTA: the windows the filters are read on (and trained on)
    control: str | None = None  # negative FASTA for training (default: shuffled positives)
    collection: str = "jaspar:CORE/vertebrates"  # JASPAR set (or motif specs) to match against
    jaspar_release: str = JASPAR_RELEASE  # pyjaspar release of motif IDs, names and collections
    report: ReportFormat = ReportFormat.md  # md | html
    epochs: int | None = None  # training epochs (with `sequences`; not with `model`); None: DEFAULT_EPOCHS
    DEFAULT_EPOCHS: ClassVar[int] = 8  # the training epochs when `epochs` is None (not a field)
    seed: int = 0  # random seed
    extraction: MotifExtraction = field(default_factory=MotifExtraction)  # filters -> motifs

    def __post_init__(self) -> None:
        check_numbers(self, DiscoverConfigError, paths="model sequences control")
        _release(self, DiscoverConfigError)
        _choice(self, "report", ReportFormat, DiscoverConfigError)
        _at_least("epochs", self.epochs, 1, DiscoverConfigError, MAX_EPOCHS)
        _at_least("seed", self.seed, 0, DiscoverConfigError)
        for name, value in (("control", self.control), ("epochs", self.epochs)):
            if self.model is not None and value is not None:  # it was ignored: nothing is trained
                raise DiscoverConfigError(f"{option(name, value)} is not used with {option('model')} (nothing is trained); drop "
                                          f"{option(name)}, or drop {option('model')} to train on {option('sequences', flag='SEQUENCES')} with it")  # fmt: skip
        if not self.collection.strip():
            raise DiscoverConfigError("the JASPAR collection to match against is empty; give "
                                      f"{option('collection', flag='--jaspar')}")  # fmt: skip
