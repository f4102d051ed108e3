"""``finance export``'s settings (:class:`ExportConfig`), re-exported by :mod:`carrousel.finance.config`.

Kept apart from the run's configuration (config.py was at the 400-line limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from carrousel.core.config import MAX_EPOCHS, check_numbers
from carrousel.core.export import DeployPrecision, Exporter
from carrousel.core.export.choices import check_variant
from carrousel.core.option_names import option
from carrousel.finance.choices import Source
from carrousel.finance.choices import check_choice as _choice
from carrousel.finance.errors import FinanceConfigError

__all__ = ["MAX_EVAL_DAYS", "MIN_EVAL_DAYS", "ExportConfig"]

# named bounds of the scored stretch (ExportConfig.eval_days, --eval-days; its --help shows them)
MIN_EVAL_DAYS = 20  # fewest forecast origins worth scoring (as MIN_TEST_DAYS)
MAX_EVAL_DAYS = 100_000  # a sanity cap past any daily history (~400 years of sessions)


@dataclass(frozen=True)
class ExportConfig:
    """``finance export``: a saved forecaster with its ensemble as ONNX, and a report of what it costs."""

    model_dir: str  # the bundle folder (or a run folder holding model/) to export
    precision: DeployPrecision = DeployPrecision.INT8  # fp32 | int8 (ONNX Runtime dynamic int8)
    exporter: Exporter = Exporter.TORCHSCRIPT  # torchscript | dynamo (PyTorch's two ONNX exporters)
    source: str | None = None  # price source of the evaluation stretch (None: the model's own)
    eval_days: int = 250  # forecast origins scored (after the training data where the prices go on)
    prune: float = 0.0  # share of each member's units to remove, then fine-tune on the ticker's history
    finetune_epochs: int = 5  # most fine-tuning epochs per pruned member (early stopping)
    distill: int = 0  # hidden size of a student trained on the full ensemble's forecasts (0: none)

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError, paths="model_dir")
        if self.source is not None:
            _choice(self.source, Source, "source")
        for name, kind in (("precision", DeployPrecision), ("exporter", Exporter)):
            _choice(getattr(self, name), kind, name)
            object.__setattr__(self, name, kind(getattr(self, name)))
        if not MIN_EVAL_DAYS <= self.eval_days <= MAX_EVAL_DAYS:
            raise FinanceConfigError(
                f"{option('eval_days', self.eval_days)} must be in [{MIN_EVAL_DAYS}, {MAX_EVAL_DAYS}], e.g. 250"
            )
        if not 0.0 <= self.prune < 1.0 or not 1 <= self.finetune_epochs <= MAX_EPOCHS:
            raise FinanceConfigError(
                f"prune={self.prune} must be in [0, 1), finetune_epochs in [1, {MAX_EPOCHS}]"
            )
        check_variant(self.prune, self.distill, FinanceConfigError)
