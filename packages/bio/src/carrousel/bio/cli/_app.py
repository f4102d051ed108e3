"""The ``bio`` app: its commands, registered here in the order ``bio --help`` lists them
(:mod:`carrousel.bio.cli`, which names them, loads it on use)."""

from __future__ import annotations

import carrousel.bio
from carrousel.bio.cli.discover import discover
from carrousel.bio.cli.enrich import enrich
from carrousel.bio.cli.evaluate import evaluate
from carrousel.bio.cli.export import export_
from carrousel.bio.cli.scan import scan
from carrousel.bio.cli.train import train
from carrousel.bio.samples import SAMPLES
from carrousel.core import cli
from carrousel.core.cli_samples import add_sample_commands

__all__ = ["app", "main"]

app = cli.create_app(
    "bio",
    "carrousel-bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.",
    lambda: f"carrousel-bio {carrousel.bio.__version__}",  # read on --version only
)
add_sample_commands(app, "bio", SAMPLES)  # samples list / samples place (core.cli_samples)
# quiet_with: the file or folder that holds the results, with which -q prints nothing
cli.command(app, quiet_with="out")(scan)
cli.command(app, quiet_with="out")(train)
cli.command(app)(evaluate)
cli.command(app, name="export", quiet_with="out")(export_)
cli.command(app, quiet_with="out")(enrich)
cli.command(app, quiet_with="out")(discover)


def main() -> None:
    """Console entry point of ``bio``."""
    cli.run(app, "bio")
