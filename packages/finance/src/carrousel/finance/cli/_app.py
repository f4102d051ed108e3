"""The ``finance`` app: its commands (:mod:`carrousel.finance.cli`, which names it, loads it on use)."""

from __future__ import annotations

import carrousel.finance
from carrousel.core.cli import create_app, run
from carrousel.core.cli_samples import add_sample_commands
from carrousel.finance.cli import backtest, evaluate, export, forecast, predict, train_global
from carrousel.finance.samples import SAMPLES

__all__ = ["app", "main"]

app = create_app(
    "finance",
    "carrousel-finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests.",
    lambda: f"carrousel-finance {carrousel.finance.__version__}",  # read on --version only
)
add_sample_commands(app, "finance", SAMPLES)  # samples list / samples place (core.cli_samples)
for module in (train_global, predict, forecast, export, backtest, evaluate):  # the order --help lists them
    module.register(app)


def main() -> None:
    """Console entry point (``finance``)."""
    run(app, "finance")
