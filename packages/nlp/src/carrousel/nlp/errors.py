"""Errors of carrousel.nlp; all derive from :class:`carrousel.core.errors.CarrouselError`.

Each message is one line naming what failed and the fix; the CLI prints it and exits 1.
"""

from __future__ import annotations

from carrousel.core.errors import CarrouselError, ConfigError, DataError

__all__ = [
    "ColumnNotFoundError",
    "EmptyTextError",
    "LabelMismatchError",
    "NLPConfigError",
    "NLPError",
    "TeacherError",
    "TextDataError",
    "TokenizerError",
]


class NLPError(CarrouselError):
    """Root of the errors raised by carrousel.nlp."""


class NLPConfigError(NLPError, ConfigError):
    """An option of an nlp command is out of range or inconsistent."""


class TextDataError(NLPError, DataError):
    """Text data cannot be read or used: a missing file, an unknown format, too few rows or labels."""


class ColumnNotFoundError(TextDataError, KeyError):
    """A text or label column named by the user is not in the data; the message lists the columns found."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class EmptyTextError(TextDataError, ValueError):
    """A text is empty or only whitespace."""


class LabelMismatchError(TextDataError, ValueError):
    """The labels of evaluation data do not match the labels a model was trained on."""


class TokenizerError(NLPError):
    """A tokenizer cannot be trained or read (too little text, a damaged tokenizer file)."""


class TeacherError(NLPError):
    """The distillation teacher (``--teacher``) cannot be built: missing model files, a head that failed."""
