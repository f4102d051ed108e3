"""The data options of ``nlp sentiment`` (train, evaluate, export) and the config they make."""

from __future__ import annotations

from typing import Annotated

import typer

from carrousel.core.cli_config import Table, pick
from carrousel.nlp.config import TextDataConfig

__all__ = ["Data", "Header", "LabelCol", "MaxLen", "Split", "TextCol", "data_config"]

Data = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="CSV/TSV/JSONL/Parquet/fastText .txt file, or an HF datasets set: a folder written by save_to_disk "
        "(FOLDER#split for a DatasetDict) or a hub name (NAME[:CONFIG][#split]).",
    ),
]
TextCol = Annotated[
    str | None,
    typer.Option(
        "--text-col", help="Column holding the text [default: text, else sentence, review, content...]."
    ),
]
LabelCol = Annotated[
    str | None,
    typer.Option(
        "--label-col", help="Column holding the label [default: label, else sentiment, rating, stars...]."
    ),
]
Split = Annotated[str | None, typer.Option("--split", help="HF data sets: the split [default: train].")]
Header = Annotated[
    bool | None,
    typer.Option("--header/--no-header", help="CSV/TSV: first row names the columns [default: header]."),
]
MaxLen = Annotated[
    int | None, typer.Option("--max-length", min=1, max=100_000, help="Tokens kept per text [default: 256].")
]


def data_config(
    base: Table[TextDataConfig] | None,
    data: str | None,
    text_col: str | None,
    label_col: str | None,
    split: str | None,
    header: bool | None,
    max_length: int | None,
) -> TextDataConfig:
    """The data flags (over ``base``, the ``[data]`` table of ``--config``) as one config."""
    source = pick(data, base, "source", None)
    if source is None:
        raise typer.BadParameter("give --data FILE or a hub name (or [data] source in --config)")
    return TextDataConfig(
        source=source,
        text_col=pick(text_col, base, "text_col", "text"),
        label_col=pick(label_col, base, "label_col", "label"),
        split=pick(split, base, "split", "train"),
        header=pick(header, base, "header", True),
        max_length=pick(max_length, base, "max_length", 256),
    )
