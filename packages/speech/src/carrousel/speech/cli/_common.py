"""Option types and helpers shared by the speech commands: the Annotated aliases of the options two or more
commands take (so each reads and is bounded alike everywhere) and the decoding config of transcribe and
evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.core.cli_device import DeviceOption
from carrousel.core.cli_values import NonBlank
from carrousel.core.config import MAX_THREADS
from carrousel.speech.config import MAX_RECORDING_SECONDS, MIN_RECORDING_SECONDS, DecodeConfig

__all__ = [
    "Beam",
    "Data",
    "Device",
    "HotWeight",
    "Hotword",
    "Json",
    "Lm",
    "LmWeight",
    "MaxSeconds",
    "Model",
    "ModelLm",
    "Threads",
    "TrainData",
    "Trim",
    "WordBonus",
    "decode_config",
]

Json = Annotated[bool, typer.Option("--json", help="Print the result as strict JSON on stdout.")]
Model = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: the shipped English recogniser).")
]
Device = DeviceOption
Threads = Annotated[int | None, typer.Option("--threads", min=1, max=MAX_THREADS, help="Torch CPU threads.")]
Beam = Annotated[
    int,
    typer.Option(
        "--beam",
        min=1,
        max=DecodeConfig.MAX_BEAM,
        help="Beam width; 1 is greedy decoding (a beam of 8 with --lm or --hotword).",
    ),
]
Lm = Annotated[
    Path | None, typer.Option("--lm", help="Word LM: an ARPA file, or plain text (one sentence a line).")
]
LmWeight = Annotated[float, typer.Option("--lm-weight", min=0.0, help="Weight of the LM (natural log).")]
WordBonus = Annotated[float, typer.Option("--word-bonus", help="Bonus per word with beam decoding.")]
Hotword = Annotated[
    list[str] | None, typer.Option("--hotword", help="A word or phrase to favour (repeatable)."), NonBlank()
]
ModelLm = Annotated[
    bool,
    typer.Option("--model-lm/--no-model-lm", help="Beam search without --lm: use the model's own word LM."),
]
HotWeight = Annotated[float, typer.Option("--hotword-weight", min=0.0, help="Hotword bonus per character.")]
Trim = Annotated[
    bool, typer.Option("--trim/--no-trim", help="Leave leading/trailing silence of short files out.")
]
MaxSeconds = Annotated[
    float,
    typer.Option(
        "--max-seconds",
        min=MIN_RECORDING_SECONDS,
        max=MAX_RECORDING_SECONDS,
        help="Refuse longer recordings.",
    ),
]
Data = Annotated[
    list[str],
    typer.Option(
        "--data",
        help="Corpus: manifest (.tsv path<TAB>transcript, .csv, .jsonl; Common Voice's test.tsv), Common Voice "
        "language folder (ROOT#test), folder of audio + .txt, audiofolder, Kaldi/ESPnet data directory, "
        "LibriSpeech, Speech Commands (ROOT#test), LJSpeech, VCTK (ROOT#mic2) or TIMIT (ROOT#test) root, "
        "or sample:GROUP (repeatable).",
    ),
]
TrainData = Annotated[list[str] | None, *Data.__metadata__]  # speech train: or the --config file's data


def decode_config(beam: int, nbest: int, lm: Path | None, model_lm: bool, lm_weight: float, word_bonus: float,
                  hotword: list[str] | None, hotword_weight: float) -> DecodeConfig:  # fmt: skip
    """The decoding flags of ``transcribe`` and ``evaluate`` as one :class:`DecodeConfig`."""
    return DecodeConfig(
        beam=beam,
        nbest=nbest,
        lm=str(lm) if lm else None,
        model_lm=model_lm,
        lm_weight=lm_weight,
        word_bonus=word_bonus,
        hotwords=tuple(hotword or ()),
        hotword_weight=hotword_weight,
    )
