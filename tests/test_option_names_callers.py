"""Messages that spelled a command's flags (or a Python name) to every caller, now named through
:mod:`carrousel.core.option_names`: a Python caller reads the name it passed, a CLI user the flag it typed
(the flags_named() halves below are the command's words, unchanged). And two checks built once in core and
used by every domain: the "lower the learning rate" fix of a diverged training (:func:`lr_fix`) and one item
where a list of them is meant (:func:`carrousel.core.listed.check_listed`).

Each test failed before: nlp's ``read_lines`` and ``read_column`` said ``--file t.txt`` (and ``--text-col``)
to a Python caller, bio's ``TrainingSet.negatives`` ``--negatives n.fa`` and ``choose_task`` ``--task max``
/ ``--motif MA0139.2``, speech's pruning ``train_data a.tsv, b.tsv``, nlp's ``freeze_embeddings`` check
``--teacher minilm``, finance's diverged variant ``[train] lr``; bio's ``check_pvalue`` said ``pvalue=0``
inside a command, and speech's ``transcribe(cfg, None)`` was a bare TypeError.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from carrousel.core.option_names import flags_named


def test_read_lines_names_the_file_as_its_caller_gave_it(tmp_path: Path) -> None:
    from carrousel.core.errors import DataError
    from carrousel.nlp.data import read_lines
    from carrousel.nlp.errors import EmptyTextError

    lines, gone = tmp_path / "t.txt", tmp_path / "gone.txt"
    lines.write_text("fine\n\nmore\n")
    for naming, said in ((contextlib.nullcontext(), "path='{}'"), (flags_named(), "--file {}")):
        with naming:
            with pytest.raises(EmptyTextError) as blank:
                read_lines(lines)
            with pytest.raises(DataError) as missing:
                read_lines(gone)
        assert (
            str(blank.value)
            == f"{said.format(lines)}: text 2 is empty or only whitespace; remove it or fill it in"
        )
        assert str(missing.value).startswith(said.format(gone))


def test_read_column_names_the_table_and_its_column_as_its_caller_gave_them(tmp_path: Path) -> None:
    from carrousel.nlp.data import read_column
    from carrousel.nlp.errors import ColumnNotFoundError

    table = tmp_path / "t.csv"
    table.write_text("a,b\nx,y\n")
    hint = "a file without a header row? add one naming the text column, or give {} the texts alone"
    for naming, file, col, alone in (
        (contextlib.nullcontext(), f"path='{table}'", "text_col", "path"),  # before: --file, --text-col
        (flags_named(), f"--file {table}", "--text-col", "--file"),
    ):
        with naming, pytest.raises(ColumnNotFoundError) as err:
            read_column(table, "text")
        said = str(err.value)
        assert (
            said.startswith(f"{file}: no column 'text' ({col}); columns found") and hint.format(alone) in said
        )


def test_bio_names_the_negatives_and_the_scored_output_as_given(tmp_path: Path) -> None:
    from carrousel.bio import data
    from carrousel.bio.config import TrainDataConfig
    from carrousel.bio.evaluate import choose_task
    from carrousel.bio.motifs import Motif

    rng = np.random.default_rng(0)
    pos, neg = tmp_path / "p.fa", tmp_path / "n.fa"
    for path in (pos, neg):
        path.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(30)))
    cfg = TrainDataConfig(positives=str(pos), negatives=str(neg))
    assert data.training_set(cfg, []).negatives == f"negatives='{neg}'"  # before: --negatives n.fa
    with flags_named():
        assert data.training_set(cfg, []).negatives == f"--negatives {neg}"  # the CLI's (its note hides it)

    counts = np.full((8, 4), 1.0)
    counts[np.arange(8), np.arange(8) % 4] = 20.0
    ctcf, other = Motif("MA0139.2", "CTCF", counts, "test"), Motif("filter3", "filter3", counts, "test")
    model: Any = SimpleNamespace(motifs=[ctcf, other])
    for naming, most, one, motif, among in (
        (contextlib.nullcontext(), "task='max'", "task='1'", "motifs='MA0139.2'", "of the motifs outputs"),
        (flags_named(), "--task max", "--task 1", "--motif MA0139.2", "of the --motif outputs"),
    ):
        with naming:
            assert choose_task(model, "max", [], lambda m: 0.5)[1] == f"{most}: the maximum over all outputs"
            assert choose_task(model, "1", [], lambda m: 0.5) == (1, one)
            assert (
                choose_task(model, None, [ctcf], lambda m: 0.5)[1]
                == f"{motif} is the model output CTCF_MA0139.2"
            )
            assert choose_task(model, None, [ctcf, other], lambda m: 0.5)[1].startswith(among)


def test_speech_pruning_names_its_training_corpora_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from carrousel.speech import prune
    from carrousel.speech.config import SpeechExportConfig
    from carrousel.speech.errors import CorpusError

    monkeypatch.setattr(prune, "load_corpora", lambda *a: [])  # no utterance survives: the error names them
    monkeypatch.setattr(prune, "with_durations", lambda utts: utts)
    monkeypatch.setattr(prune, "split_utterances", lambda utts, fraction, seed: ([], []))
    left = {"too_long": 2, "too_short_for_transcript": 0, "no_known_characters": 0}
    parts = itertools.cycle([left, dict.fromkeys(left, 0)])  # the training part's counts, then validation's
    monkeypatch.setattr(prune, "trainable", lambda utts, *a: ([], next(parts)))
    full: Any = SimpleNamespace(alphabet=None, frame_seconds=0.02)
    cfg = SpeechExportConfig(prune=0.5, train_data=("a.tsv", "b.tsv"))
    for naming, said, fix in (
        (
            contextlib.nullcontext(),
            "train_data=('a.tsv', 'b.tsv')",
            "train_data",
        ),  # before: "train_data a.tsv, b.tsv"
        (flags_named(), "--train-data a.tsv, b.tsv", "--train-data CORPUS"),
    ):
        with naming, pytest.raises(CorpusError) as err:
            prune.finetune_corpus(full, {}, cfg)
        assert str(err.value) == (  # before: "(dropped: {'too_long': 2, ...})", naming no fix
            f"{said}: no usable training utterance (left out: 2 too long); give with {fix} "
            "recordings of at most 30 s, long enough for their transcripts, written in the model's alphabet"
        )


def test_nlp_freezing_without_pretrained_embeddings_names_the_python_settings() -> None:
    from carrousel.nlp.config import SentimentTrainConfig, TextDataConfig
    from carrousel.nlp.errors import NLPConfigError

    fix = "freeze_embeddings keeps pretrained embeddings fixed, and there are none: give "
    for naming, said in (
        (
            contextlib.nullcontext(),
            "embeddings or teacher=TeacherConfig(), or leave freeze_embeddings=True out",
        ),
        (flags_named(), "--embeddings FILE or --teacher minilm, or leave --freeze-embeddings out"),
    ):
        with naming, pytest.raises(NLPConfigError) as err:
            SentimentTrainConfig(TextDataConfig("d.csv"), freeze_embeddings=True)
        assert str(err.value) == fix + said


def test_check_pvalue_names_the_flag_inside_a_command() -> None:
    from carrousel.bio.errors import ScanConfigError
    from carrousel.bio.pwm_null import check_pvalue

    fix = "is no p-value; give a number in (0, 1], e.g."
    with pytest.raises(ScanConfigError) as err:
        check_pvalue(0, "IntegerPWM.threshold")
    assert (
        str(err.value) == f"IntegerPWM.threshold: pvalue=0 {fix} pvalue=1e-4"
    )  # a Python caller's, as before
    with flags_named(), pytest.raises(ScanConfigError) as err:
        check_pvalue(float("nan"), "scan")
    assert str(err.value) == f"scan: --pvalue nan {fix} --pvalue 1e-4"  # before: pvalue=nan ... pvalue=1e-4


def test_one_lr_fix_in_core_names_each_domains_setting() -> None:
    from carrousel.core.train import lr_fix
    from carrousel.finance.prune import retrain_fix

    assert (lr_fix("fit.lr", 1e30), lr_fix("lr", 0.5), lr_fix("train.lr", 1e10, "[train] lr")) == (
        "fit.lr (now 1e+30)",
        "lr (now 0.5)",
        "train.lr (now 1e+10)",
    )
    assert (
        retrain_fix(1e10, "m") == "train.lr (now 1e+10) and train the forecaster in m again"
    )  # was [train] lr
    with flags_named():
        assert (lr_fix("fit.lr", 1e30), lr_fix("lr", 0.5), lr_fix("train.lr", 1e10, "[train] lr")) == (
            "--lr (now 1e+30)",
            "--lr (now 0.5)",
            "[train] lr (now 1e+10)",
        )
        assert retrain_fix(1e10, "m") == "[train] lr (now 1e+10) and train the forecaster in m again"


def test_one_item_where_a_list_is_meant_is_refused_by_one_check() -> None:
    from carrousel.core.errors import ConfigError
    from carrousel.core.listed import check_listed
    from carrousel.speech.config import TranscribeConfig
    from carrousel.speech.errors import AudioError
    from carrousel.speech.pipeline import transcribe

    check_listed(["a", "b"], str, ConfigError, "text")  # a list passes
    with pytest.raises(ConfigError, match=r"^input: got one string, not a list of texts; pass \[text\]$"):
        check_listed("ab", (str, bytes), ConfigError, "text", "string", "input")
    with pytest.raises(ConfigError, match=r"^got one path, not a list of paths; pass \[path\] \(a\.wav\)$"):
        check_listed(Path("a.wav"), (str, Path), ConfigError, "path", show=True)
    with pytest.raises(AudioError, match=r"^got None, not a list of paths; pass \[path, \.\.\.\]$"):
        transcribe(TranscribeConfig(), None)  # type: ignore[arg-type]  # before: TypeError, not iterable
