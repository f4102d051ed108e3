"""The distillation teacher reads the texts as the student does: with ``emoji="names"`` it receives each
emoji as its name (``😡`` -> ``pouting face``, as the student's tokenizer reads it), with ``"keep"`` the text
as written; once the student's tokenizer is trained, the rows it folds (``fold="unknown"``) are scored again
on the folded text. Before, it always received the raw text, whose emoji MiniLM's word pieces mostly lack."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.data import read_as
from carrousel.nlp.pipeline.distill import TransferSet, read_as_student, teacher_transfer_set
from carrousel.nlp.tokenization import TextTokenizer, read_emoji, train_tokenizer
from tests.nlp.conftest import distill_config


class _RecordingEncoder:
    """A stand-in for MiniLM: remembers every text it embeds; each text's row is seeded by its bytes."""

    def __init__(self) -> None:
        self.memo: dict[str, np.ndarray] = {}
        self.texts: list[str] = []

    def sentences(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return np.stack(
            [np.random.default_rng(zlib.crc32(t.encode())).normal(size=8).astype(np.float32) for t in texts]
        )


TRAIN = ["the movie 😡", "a great film 😍", "dull plot", "fine acting"]
VAL = ["so bad 😡", "a great café"]  # é: in no training text


def _transfer(folder: Path, emoji: str) -> tuple[TransferSet, _RecordingEncoder]:
    cfg = distill_config(folder)
    cfg = replace(cfg, emoji=emoji, teacher=replace(cfg.teacher, augment=0, balance=False))
    encoder = _RecordingEncoder()
    args = (cfg, TRAIN, np.array([0, 1, 0, 1]), VAL, np.array([0, 1]), ["neg", "pos"], encoder)
    soft = teacher_transfer_set(*args)  # type: ignore[arg-type]
    assert "the movie 😡" not in soft.extra  # the student's texts stay as written: its tokenizer names them
    return soft, encoder


def _teacher_texts(folder: Path, emoji: str) -> list[str]:
    return _transfer(folder, emoji)[1].texts


def test_the_teacher_reads_emoji_as_names_when_the_student_does(tmp_path: Path) -> None:
    seen = _teacher_texts(tmp_path, "names")
    assert "the movie pouting face" in seen and "so bad pouting face" in seen  # training and held-out rows
    assert "a great film smiling face with heart-shaped eyes" in seen
    assert not any("😡" in t or "😍" in t for t in seen)


def test_the_teacher_reads_emoji_as_written_when_the_student_keeps_them(tmp_path: Path) -> None:
    seen = _teacher_texts(tmp_path, "keep")
    assert "the movie 😡" in seen and "so bad 😡" in seen
    assert not any("pouting face" in t for t in seen)


def test_one_reading_for_the_teacher_and_the_tokenizer() -> None:
    """The teacher's step is the first of the tokenizer's own preparation (no folding: nothing to fold)."""
    from tokenizers import Tokenizer, models

    vocab = {"[PAD]": 0, "[UNK]": 1, "[BOS]": 2, "[EOS]": 3, "a": 4}
    tok = TextTokenizer(Tokenizer(models.WordLevel(vocab, unk_token="[UNK]")), "word", "names")
    for text in ("the movie 😡", "👍 a", "plain"):
        assert tok.prepare(text) == read_emoji(text, "names")
    assert read_emoji("the movie 😡", "keep") == "the movie 😡"


def test_rows_the_student_folds_are_scored_again_as_folded(tmp_path: Path) -> None:
    soft, encoder = _transfer(tmp_path, "names")
    rows = TRAIN + soft.extra
    word = TokenizerConfig(kind="word", min_frequency=1)
    unfolded = train_tokenizer(rows, word, emoji="names", fold="none")
    encoder.texts.clear()
    assert read_as_student(soft, unfolded, rows, VAL, np.array([0, 1])) is soft and encoder.texts == []
    folding = train_tokenizer(rows, word, emoji="names", fold="unknown")
    again = read_as_student(soft, folding, rows, VAL, np.array([0, 1]))
    assert encoder.texts == ["a great cafe"]  # the one row the student reads otherwise, as it reads it
    assert folding.prepare("a great café") == "a great cafe"
    assert np.array_equal(again.val_logits[0], soft.val_logits[0])
    assert not np.array_equal(again.val_logits[1], soft.val_logits[1])
    assert np.array_equal(again.train_logits, soft.train_logits)  # the student's alphabet holds all of theirs


ESCAPED_TRAIN = ["I don&#039;t like it", "a great film", "dull plot", "it&#x27;s fine  "]
ESCAPED_VAL = ["so bad", "a great caf&eacute;"]  # é: in no training text, and written as its reference


def test_the_teacher_reads_html_references_as_the_student_does(tmp_path: Path) -> None:
    """The student reads ``read_as(text)`` (``don&#039;t`` as ``don't``); the teacher embeds the same text.
    Before, it embedded the text as written, the references escaped, and fit its head on another text."""
    cfg = distill_config(tmp_path)
    unlabelled = tmp_path / "escaped.txt"
    unlabelled.write_text("so bad\nAT&amp;T and you&amp;#39;d\nI don't like it\n", encoding="utf-8")
    teacher = replace(cfg.teacher, augment=0, balance=False, unlabelled=(str(unlabelled),))
    cfg = replace(cfg, emoji="keep", teacher=teacher)
    encoder = _RecordingEncoder()
    labels = np.array([0, 1, 0, 1]), ESCAPED_VAL, np.array([0, 1]), ["neg", "pos"]
    soft = teacher_transfer_set(cfg, ESCAPED_TRAIN, *labels, encoder)  # type: ignore[arg-type]
    seen = encoder.texts
    assert seen[:4] == ["I don't like it", "a great film", "dull plot", "it's fine"]
    assert seen[-2:] == ["so bad", "a great café"]  # held-out rows
    # an unlabelled copy of a labelled text, escaped or not, is dropped; a reference is read once
    assert soft.extra == ["AT&amp;T and you&amp;#39;d"] and "AT&T and you&#39;d" in seen
    assert not any("&#039;" in t or "&#x27;" in t or "&eacute;" in t for t in seen)
    assert [read_as(t) for t in ESCAPED_TRAIN + ESCAPED_VAL] == [*seen[:4], *seen[-2:]]

    rows = ESCAPED_TRAIN + soft.extra
    word = TokenizerConfig(kind="word", min_frequency=1)
    folding = train_tokenizer(map(read_as, rows), word, emoji="keep", fold="unknown")  # as train_sentiment
    encoder.texts.clear()
    read_as_student(soft, folding, rows, ESCAPED_VAL, np.array([0, 1]))
    assert encoder.texts == ["a great cafe"]  # as the student reads it: the reference read, then é folded
