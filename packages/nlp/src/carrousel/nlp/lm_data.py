"""Language-model text of ``nlp generate``: the corpus read from its files, cut into parallel streams of
consecutive batches (a state carried from one batch to the next continues each row)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.encodings import LEGACY_TEXT
from carrousel.core.files import read_text
from carrousel.core.option_names import option
from carrousel.nlp.errors import TextDataError

if TYPE_CHECKING:
    from carrousel.nlp.tokenization import TextTokenizer

__all__ = ["after_prompt", "line_start", "prompt_read", "read_corpus", "stream_batches"]


_CR = re.compile(r"\r\n?")


def read_corpus(files: Sequence[str]) -> str:
    r"""The text of ``files`` joined in order (UTF-8, else Windows-1252 line by line with a warning; or gzip), its line ends ``\r\n`` and ``\r`` read as
    ``\n`` (the line ends :func:`carrousel.core.encodings.file_lines` cuts at), so a Windows file and its
    Unix copy give one model: a character model would otherwise learn ``\r`` as a symbol of its own and
    write it, alone where it samples badly (a terminal then overwrites the line).

    A table (CSV, TSV, JSON lines, Parquet: :func:`carrousel.nlp.data.is_table`) gives its text column, one
    text a line, as ``sentiment predict --file`` reads one (its ``text`` column, else the one usual text
    column, with a warning). Before, its raw lines were the text: the model learnt the header, the ids, the
    quotes and the JSON keys (``{"text": "``), exit 0 and no word of it.

    Raises:
        DataError: a file is missing, empty, binary or not text in either encoding; a table without a text
            column (listing its columns) or with an empty text (naming its row).
    """
    return "\n".join(_read_one(f) for f in files)


def _read_one(f: str) -> str:
    from carrousel.nlp.data import is_table, read_column  # the table readers: only for a table

    flag = option("data.files", flag="--text")
    if is_table(f):
        return "\n".join(_CR.sub("\n", t) for t in read_column(f, "text", flag, col_flag=None))
    return _CR.sub("\n", read_text(f, flag, "text", encodings=LEGACY_TEXT))


@check_args
def stream_batches(ids: np.ndarray, streams: int, segment: int) -> list[dict[str, torch.Tensor]]:
    """Cuts one token stream into ``streams`` parallel rows and consecutive ``segment``-long batches.

    Row ``b`` of batch ``i + 1`` continues row ``b`` of batch ``i`` (for a state carried across batches).

    Returns:
        Batches ``{"x": (B, S), "y": (B, S)}``, ``y`` the next token of ``x``.

    Raises:
        TextDataError: the text is too short for ``streams`` rows.
    """
    per_row = (len(ids) - 1) // streams
    if per_row < 2:
        raise TextDataError(
            f"the text has {len(ids)} tokens, too few for {streams} streams; give more text or a smaller batch"
        )
    x = torch.as_tensor(ids[: per_row * streams], dtype=torch.long).view(streams, per_row)
    y = torch.as_tensor(ids[1 : per_row * streams + 1], dtype=torch.long).view(streams, per_row)
    return [{"x": x[:, s : s + segment], "y": y[:, s : s + segment]} for s in range(0, per_row, segment)]


def prompt_read(prompt: str, kind: str) -> str:
    """The prompt a subword or word tokenizer (``kind`` not ``char``) reads: without its trailing spaces.

    Such a tokenizer marks a space as the ``▁`` that starts the next word, so a prompt's trailing space was
    a lone ``▁``, a double space to the model (``It was `` + ``▁the``: ``It was  the``); the next word's own
    ``▁`` stands for it (:func:`after_prompt` keeps the prompt's spacing in the pieces shown after it)."""
    return prompt if kind == "char" else prompt.rstrip(" ")


def after_prompt(pieces: Iterator[str], prompt: str, kind: str) -> Iterator[str]:
    """``pieces`` to show after ``prompt`` as given: where :func:`prompt_read` left out its trailing spaces,
    the spaces that open the continuation are dropped up to as many (the prompt shows them already)."""
    owed = len(prompt) - len(prompt_read(prompt, kind))
    for piece in pieces:
        if owed:
            kept = piece.lstrip(" ")
            piece, owed = piece[min(owed, len(piece) - len(kept)) :], 0 if kept else owed - len(piece)
            if not piece:
                continue
        yield piece


def line_start(tokenizer: TextTokenizer) -> list[int]:
    """The ids a continuation without a prompt starts from, the beginning of a line: the line break's own
    token where the vocabulary holds one. A subword or word tokenizer encodes ``"\\n"`` alone as ``▁`` and
    ``\\n`` (a space before the line break) or ``[UNK]``; without such a token, that encoding, else ``[EOS]``."""
    own = tokenizer.word_ids("\n")
    return own if own and tokenizer.unk_id not in own else tokenizer.encode("\n") or [tokenizer.eos_id]
