"""The ``speech`` app: its six commands, registered here in the order ``speech --help`` lists them, and the
``samples`` group (:mod:`carrousel.speech.cli`, which names them, loads it on use)."""

from __future__ import annotations

import carrousel.speech
from carrousel.core import cli
from carrousel.core.cli_samples import add_sample_commands
from carrousel.speech.cli.evaluate import evaluate
from carrousel.speech.cli.export import export
from carrousel.speech.cli.stream import stream
from carrousel.speech.cli.synth_corpus import synth_corpus
from carrousel.speech.cli.train import train
from carrousel.speech.cli.transcribe import transcribe
from carrousel.speech.samples import SAMPLES

__all__ = ["app", "main"]

app = cli.create_app(
    "speech",
    "carrousel-speech: speech recognition with BiLSTM + CTC.",
    lambda: f"carrousel-speech {carrousel.speech.__version__}",  # read on --version only
)
add_sample_commands(app, "speech", SAMPLES)  # samples list / samples place (core.cli_samples)
cli.command(app, "synth-corpus", quiet_with="out")(synth_corpus)
cli.command(app, quiet_with="out")(train)
cli.command(app)(transcribe)
cli.command(app)(evaluate)
cli.command(app, "export", quiet_with="out")(export)
cli.command(app)(stream)


def main() -> None:
    """Console entry point (``speech``)."""
    cli.run(app, "speech")
