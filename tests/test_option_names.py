"""An error names a setting as its reader gives it: ``lookback=30`` to a Python caller, ``--lookback 30`` to a
CLI user (:mod:`carrousel.core.option_names`; core's CLI helper runs every command body under
``flags_named``).

Before, the messages spelled CLI flags whoever called: ``Forecaster.fit(df, cfg)`` said "at --lookback 30
and --horizon 5 ... a shorter --lookback", bio's ``evaluate(cfg)`` "give both --positives and --negatives".
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.core.errors import ConfigError, DataError
from carrousel.core.option_names import flags_named, naming_flags, option


def test_option_gives_the_python_name_outside_a_command_and_the_flag_inside() -> None:
    assert (option("lookback"), option("lookback", 30), option("source", "csv")) == (
        "lookback",
        "lookback=30",
        "source='csv'",
    )
    assert option("backtest.enabled", False, "--no-backtest") == "backtest.enabled=False"
    with flags_named():
        assert naming_flags()
        assert (option("test_days"), option("test_days", 20), option("hidden_size", 8, "--hidden")) == (
            "--test-days",
            "--test-days 20",
            "--hidden 8",
        )
        assert option("backtest.enabled", False, "--no-backtest") == "--no-backtest"
        assert option("window.lookback") == "--lookback"
    assert not naming_flags() and option("test_days") == "test_days"


def test_a_command_of_the_cli_helper_names_flags_in_its_errors() -> None:
    from carrousel.core.cli import command, create_app

    app = create_app("demo", "A demo.", "demo 0")

    @command(app, "go")
    def go(lookback: int = 30) -> None:
        raise ConfigError(f"{option('lookback', lookback)} is too long; give a shorter {option('lookback')}")

    result = CliRunner().invoke(app, ["go", "--lookback", "400"])
    assert result.exit_code == 1
    assert "--lookback 400 is too long; give a shorter --lookback" in result.output
    assert not naming_flags()  # set for the command's body only


def _frame(rows: int) -> pd.DataFrame:
    days = pd.bdate_range("2020-01-01", periods=rows)
    y = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, rows)))
    return pd.DataFrame({"unique_id": "A", "ds": days.strftime("%Y-%m-%d"), "y": y})


def test_finance_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    from carrousel.finance.cli import app
    from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig
    from carrousel.finance.errors import FinanceConfigError, PriceDataError
    from carrousel.finance.multiseries import train_global

    with pytest.raises(PriceDataError) as err:
        train_global(_frame(150), FinanceConfig(model=ModelConfig(members=1)), holdout_days=30)
    message = str(err.value)
    assert "at lookback=30 and horizon=5" in message and message.endswith("fewer holdout_days")
    assert "--" not in message
    with pytest.raises(FinanceConfigError, match=r"^test_days=5 is too few to score"):
        BacktestConfig(test_days=5)

    _frame(150).to_csv(tmp_path / "a.csv", index=False)
    args = ["train-global", "--data", str(tmp_path / "a.csv"), "--model-dir", str(tmp_path / "m")]
    result = CliRunner().invoke(app, [*args, "--holdout-days", "30", "--members", "1"])
    assert result.exit_code == 1
    assert "at --lookback 30 and --horizon 5" in result.output and "fewer --holdout-days" in result.output


def test_bio_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    from carrousel.bio import pipeline
    from carrousel.bio.cli import app
    from carrousel.bio.config import EvaluateConfig, ExportConfig, TrainConfig, TrainDataConfig
    from carrousel.bio.errors import EvaluateConfigError, ExportConfigError, TrainConfigError

    with pytest.raises(EvaluateConfigError, match=r"^give both positives and negatives FASTA files$"):
        pipeline.evaluate(EvaluateConfig(positives="p.fa"))
    with pytest.raises(ExportConfigError, match=r"^give both positives and negatives for the AUROC"):
        ExportConfig(positives="p.fa")
    with pytest.raises(TrainConfigError, match=r"^positives and peaks both give .* give one: positives \("):
        TrainDataConfig(positives="p.fa", peaks="p.bed")
    with pytest.raises(DataError, match=r"^positives='.*p\.fa' not found"):
        pipeline.train(TrainConfig(data=TrainDataConfig(positives=str(tmp_path / "p.fa"))), tmp_path / "m")

    result = CliRunner().invoke(
        app, ["train", "--positives", str(tmp_path / "p.fa"), "-o", str(tmp_path / "m")]
    )
    assert result.exit_code == 1 and f"--positives {tmp_path / 'p.fa'} not found" in result.output


def _both(call: Any, error: type[Exception], python: str, cli: str) -> None:
    """``call`` raises ``error`` naming Python settings (``python``, a regex) outside a CLI command and flags
    (``cli``) inside one (core's CLI helper runs every command body under :func:`flags_named`)."""
    with pytest.raises(error, match=python) as raised:
        call()
    assert "--" not in str(raised.value)  # no flag left for a Python caller
    with flags_named(), pytest.raises(error, match=cli):
        call()


def test_nlp_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    from carrousel.nlp.config import LMDataConfig, TextDataConfig
    from carrousel.nlp.data import load_texts
    from carrousel.nlp.errors import ColumnNotFoundError, TextDataError
    from carrousel.nlp.parallel import read_pairs
    from carrousel.nlp.pipeline.common import drop_excluded
    from carrousel.nlp.pipeline.generate import split_text

    (tmp_path / "p.tsv").write_text("fr\tes\nbonjour\thola\n", encoding="utf-8")
    _both(
        lambda: read_pairs([tmp_path / "p.tsv"]),
        TextDataError,
        r"not src='en' and tgt='de'; give the file's codes \(src='fr' tgt='es'\)",
        r"not --src en and --tgt de; give the file's codes \(--src fr --tgt es\)",
    )
    (tmp_path / "d.csv").write_text("words,grade\ngreat,5\n", encoding="utf-8")
    _both(
        lambda: load_texts(TextDataConfig(str(tmp_path / "d.csv"), text_col="words")),
        ColumnNotFoundError,
        r"^data\.source='.*d\.csv': no column 'label' \(label_col\).*use data\.header=False and",
        r"^--data .*d\.csv: no column 'label' \(--label-col\).*use --no-header and",
    )
    (tmp_path / "t.txt").write_text("A line of text to hold out.\n" * 50, encoding="utf-8")
    _both(
        lambda: split_text(LMDataConfig((str(tmp_path / "t.txt"),), 0.001)),
        TextDataError,
        r"raise data\.holdout$",
        r"raise --holdout$",
    )
    _both(
        lambda: drop_excluded(["a", "b"], ["x", "y"], ["a", "b"], "test.csv"),
        TextDataError,
        r"^exclude='test\.csv' holds every text .* give exclude the texts",
        r"^--exclude test\.csv holds every text .* give --exclude the texts",
    )

    from carrousel.nlp.label_map import LabelMapError, parse_label_map

    _both(
        lambda: parse_label_map("pos"),
        LabelMapError,
        r"^label_map entry 'pos' is not",
        r"^--label-map entry 'pos'",
    )


def test_speech_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    import soundfile as sf

    from carrousel.speech.audio import read_audio
    from carrousel.speech.data import load_corpus
    from carrousel.speech.errors import AudioTooLongError, CorpusError, StreamingError
    from carrousel.speech.models import CTCModelConfig, build_model

    _both(
        lambda: load_corpus(str(tmp_path / "none")),
        CorpusError,
        r"^data='.*none': no such file or folder",
        r"^--data .*none: no such file or folder",
    )
    sf.write(tmp_path / "a.wav", np.zeros(1600, dtype=np.float32), 16000)
    _both(
        lambda: read_audio(tmp_path / "a.wav", max_seconds=0.01),
        AudioTooLongError,
        r"raise the limit \(max_seconds\)$",
        r"raise the limit \(--max-seconds\)$",
    )
    model = build_model(CTCModelConfig(n_features=4, n_classes=3, hidden=4))
    _both(
        model.init_stream,
        StreamingError,
        r"train one with bidirectional=False, normalize='causal'$",
        r"train one with --unidirectional --normalize causal$",
    )


def test_finance_configs_name_python_settings_to_python_and_flags_to_the_cli() -> None:
    from carrousel.finance.config import BacktestConfig, DataConfig, TrainSettings
    from carrousel.finance.errors import FinanceConfigError

    _both(
        lambda: DataConfig(start="2021-01-01", end="2020-01-01"),
        FinanceConfigError,
        r"^start='2021-01-01' is after end='2020-01-01'",
        r"^--start 2021-01-01 is after --end 2020-01-01",
    )
    _both(lambda: BacktestConfig(refit_every=0), FinanceConfigError, r"^refit_every=0 ", r"^--refit-every 0 ")
    _both(
        lambda: TrainSettings(epochs=0),
        FinanceConfigError,
        r"use e\.g\. epochs=10$",
        r"use e\.g\. --epochs 10$",
    )


def test_bio_configs_name_python_settings_to_python_and_flags_to_the_cli() -> None:
    from carrousel.bio.config import (
        DiscoverConfig,
        EvaluateConfig,
        ExportConfig,
        NetworkConfig,
        TrainConfig,
        TrainDataConfig,
    )
    from carrousel.bio.errors import (
        DiscoverConfigError,
        EvaluateConfigError,
        ExportConfigError,
        TrainConfigError,
    )

    _both(
        lambda: TrainConfig(data=TrainDataConfig(window=20), network=NetworkConfig(kernel=25)),
        TrainConfigError,
        r"give a smaller network\.kernel or a larger data\.window$",
        r"give a smaller --kernel or a larger --window$",
    )
    _both(
        lambda: EvaluateConfig(model="m", pwm_only=True),
        EvaluateConfigError,
        r"^model='m' is not used with pwm_only=True; drop one of them$",
        r"^--model m is not used with --pwm-only; drop one of them$",
    )
    _both(
        lambda: ExportConfig(prune=0.5, train_negatives="n.fa"),
        ExportConfigError,
        r"^train_negatives needs train_positives$",
        r"^--train-negatives needs --train-positives$",
    )
    _both(lambda: DiscoverConfig(collection=" "), DiscoverConfigError, r"give collection$", r"give --jaspar$")
    from carrousel.bio import pipeline

    _both(
        lambda: pipeline.evaluate(EvaluateConfig(positives="p.fa", negatives="n.fa", pwm_only=True)),
        EvaluateConfigError,
        r"^pwm_only=True needs motifs$",
        r"^--pwm-only needs --motif$",
    )


def test_another_thread_keeps_the_python_names_while_a_command_names_flags() -> None:
    """A context variable, not a module flag: a thread started inside a command's body (a notebook's call beside
    a running command) still reads the Python name."""
    import threading

    seen: list[str] = []
    with flags_named():
        worker = threading.Thread(target=lambda: seen.append(option("lookback", 30)))
        worker.start()
        worker.join()
        assert option("lookback", 30) == "--lookback 30"
    assert seen == ["lookback=30"]
    assert option("lookback", 30) == "lookback=30"


def test_the_remaining_library_messages_name_python_settings_to_python_and_flags_to_the_cli(
    tmp_path: Path,
) -> None:
    """Messages left with a literal flag after the first two passes: bio's export options, finance's
    quantiles and run files, core's smaller-model and precision checks said ``--distill-filters N needs
    --distill H``, ``use e.g. --quantiles 0.1,0.9`` or ``use --precision fp32`` to a Python caller too."""
    from carrousel.bio.config import DiscoverConfig, ExportConfig
    from carrousel.bio.errors import DiscoverConfigError, ExportConfigError
    from carrousel.core.device import check_exported_precision
    from carrousel.core.export.choices import check_variant
    from carrousel.finance.config import ModelConfig
    from carrousel.finance.errors import FinanceConfigError, RunFileError
    from carrousel.finance.runs import read_run_rows

    _both(
        lambda: ExportConfig(distill_filters=8),
        ExportConfigError,
        r"^distill_filters needs distill \(the student's units\)$",
        r"^--distill-filters N needs --distill H \(the student's units\)$",
    )
    _both(
        lambda: ExportConfig(train_positives="p.fa"),
        ExportConfigError,
        r"^train_positives/train_negatives are for prune or distill$",
        r"^--train-positives/--train-negatives are for --prune F or --distill H$",
    )
    _both(
        lambda: DiscoverConfig(model="m", epochs=5),
        DiscoverConfigError,
        r"^epochs=5 is not used with model \(nothing is trained\); drop epochs, or drop model to train on "
        r"sequences with it$",
        r"^--epochs 5 is not used with --model \(nothing is trained\); drop --epochs, or drop --model to train "
        r"on SEQUENCES with it$",
    )
    _both(
        lambda: ModelConfig(quantiles=(0.5,)),
        FinanceConfigError,
        r"^quantiles needs a level .* use e\.g\. quantiles=\(0\.1, 0\.9\)$",
        r"^--quantiles needs a level .* use e\.g\. --quantiles 0\.1,0\.9$",
    )
    _both(
        lambda: read_run_rows(tmp_path / "none"),
        RunFileError,
        r"not found; pass folders written with out_dir$",
        r"not found; pass folders written with --out$",
    )
    _both(
        lambda: check_variant(0.5, 4),
        ConfigError,
        r"^distill and prune are two variants",
        r"^--distill and --prune are two variants",
    )
    _both(
        lambda: check_exported_precision("bf16", True),
        ConfigError,
        r"^precision='bf16' runs a PyTorch network; .* use precision='fp32' with it$",
        r"^--precision bf16 runs a PyTorch network; .* use --precision fp32 with it$",
    )


def test_a_cli_argument_keeps_its_upper_case_name_and_a_python_caller_reads_the_field(tmp_path: Path) -> None:
    """``bio enrich MISSING.fa`` said ``TARGETS='/x.fa' not found`` once core's output label read every
    space-free label as a Python name; an upper-case argument name is shown as typed (``TARGETS /x.fa``), and a
    Python caller of ``enrich`` reads the config field (``targets='/x.fa'``)."""
    from carrousel.bio.cli import app
    from carrousel.bio.config import EnrichConfig
    from carrousel.bio.pipeline import enrich

    missing = tmp_path / "nope.fa"
    res = CliRunner().invoke(app, ["enrich", str(missing)])
    assert res.exit_code == 1 and f"TARGETS {missing} not found" in res.output
    with pytest.raises(DataError, match=rf"targets='{missing}' not found"):
        enrich(EnrichConfig(targets=str(missing)))


def test_a_placeholder_follows_the_flag_only_inside_a_command() -> None:
    assert option("train_positives", metavar="FILE") == "train_positives"
    with flags_named():
        assert option("train_positives", metavar="FILE") == "--train-positives FILE"
        assert option("motifs", flag="--motif", metavar="IDs") == "--motif IDs"
        assert option("lookback", 30, metavar="N") == "--lookback 30"  # a value is shown, not the placeholder


def test_a_path_named_by_a_python_setting_reads_name_equals_path(tmp_path: Path) -> None:
    """Helpers that take the option naming a file wrote ``{flag} {path}``: a Python caller read
    ``data.source /x.xlsx: a spreadsheet ...`` (nlp), ``--out /m would replace the model`` (core's
    check_spares, a literal flag) and ``--config /x.toml is not valid TOML`` (finance's load_config); they
    now show the path as core's file checks do (``named_path``): ``data.source='/x.xlsx'`` in Python,
    ``--data /x.xlsx`` inside a command."""
    from carrousel.core.config import read_toml
    from carrousel.core.files import check_spares
    from carrousel.core.option_names import named_path
    from carrousel.finance.config import load_config
    from carrousel.nlp.config import TextDataConfig
    from carrousel.nlp.data import load_texts
    from carrousel.nlp.errors import TextDataError

    assert named_path("/x", "data.source") == "data.source='/x'"
    assert (named_path("/x", "--out"), named_path("/x", "BED file"), named_path("/x", None)) == (
        "--out /x",
        "BED file /x",
        "/x",
    )
    sheet = tmp_path / "d.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really a workbook")
    _both(
        lambda: load_texts(TextDataConfig(str(sheet))),
        TextDataError,
        r"^data\.source='.*d\.xlsx': a spreadsheet is not read",
        r"^--data .*d\.xlsx: a spreadsheet is not read",
    )
    model = tmp_path / "m"
    _both(
        lambda: check_spares(model, model / "sub"),
        ConfigError,
        r"^out='.*m' would replace the model it reads",
        r"^--out .*m would replace the model it reads",
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[window\n", encoding="utf-8")
    _both(lambda: load_config(bad), ConfigError, r"^path='.*bad\.toml' is not valid TOML", r"^--config .*bad")
    with pytest.raises(ConfigError, match=r"^config='.*bad\.toml' is not valid TOML"):
        read_toml(bad, "config")


def test_speech_configs_name_python_settings_to_python_and_flags_to_the_cli() -> None:
    """speech's config checks spelled flags to a Python caller too: ``SpeechExportConfig(train_data=...)``
    said ``--train-data is for --prune or --distill ...; give --prune F or --distill H``."""
    from carrousel.speech.config import EvaluateConfig, SpeechExportConfig, TrainConfig
    from carrousel.speech.errors import SpeechConfigError

    _both(
        lambda: SpeechExportConfig(train_data=("x.tsv",)),
        SpeechConfigError,
        r"^train_data is for prune or distill \(the training corpus\); give prune or distill$",
        r"^--train-data is for --prune or --distill \(the training corpus\); give --prune F or --distill H$",
    )
    _both(
        lambda: SpeechExportConfig(static_conv=True, precision="fp32"),
        SpeechConfigError,
        r"^static_conv is for precision='int8'$",
        r"^--static-conv is for --precision int8$",
    )
    _both(
        lambda: SpeechExportConfig(prune=1.0), SpeechConfigError, r"^prune=1\.0: give", r"^--prune 1\.0: give"
    )
    _both(
        lambda: SpeechExportConfig(finetune_epochs=0),
        SpeechConfigError,
        r"^finetune_epochs must be in 1\.\.",
        r"^--finetune-epochs must be in 1\.\.",
    )
    _both(
        lambda: TrainConfig(data=("a.tsv",), subwords=50, init_from="m"),
        SpeechConfigError,
        r"^subwords needs a new model: init_from keeps its units$",
        r"^--subwords needs a new model: --init-from keeps its units$",
    )
    _both(
        lambda: TrainConfig(data=("a.tsv",), bidirectional=False),
        SpeechConfigError,
        r"normalisation \(features\.normalize='causal'\)$",
        r"normalisation \(--normalize causal\)$",
    )
    for make in (lambda: TrainConfig(data=()), lambda: EvaluateConfig(data=())):
        _both(make, SpeechConfigError, r"corpus \(data\)$", r"corpus \(--data\)$")


def test_bio_inputs_and_outputs_name_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    """bio's pipelines passed literal flags to core's file checks: a Python caller of ``enrich`` read
    ``--out /x is a folder`` and ``--background /b.fa not found``, of ``scan`` ``--model-background ...``, of
    ``discover`` ``--control ...``; ``evaluate`` and ``enrich`` named a set ``positives p.fa`` /
    ``TARGETS t.fa`` (no ``=``), and ``enrich`` with no targets said ``TARGETS FASTA``."""
    from carrousel.bio.config import DiscoverConfig, EnrichConfig, EvaluateConfig, ScanConfig
    from carrousel.bio.errors import EnrichConfigError, EvaluateConfigError, SequenceSetError
    from carrousel.bio.pipeline import discover, enrich, evaluate, scan

    fa = tmp_path / "t.fa"
    fa.write_text("".join(f">s{i}\nACGTACGTAAGGCCTT\n" for i in range(3)), encoding="utf-8")
    gone = tmp_path / "gone.fa"
    _both(
        lambda: enrich(EnrichConfig()),
        EnrichConfigError,
        r"^give the target sequences \(targets\)$",
        r"^give the target sequences \(TARGETS FASTA\)$",
    )
    _both(
        lambda: enrich(EnrichConfig(targets=str(fa)), out=tmp_path),
        ConfigError,
        r"^out='.*' is a folder",
        r"^--out .* is a folder",
    )
    _both(
        lambda: enrich(EnrichConfig(targets=str(fa), background=str(gone))),
        DataError,
        r"^background='.*gone\.fa' not found",
        r"^--background .*gone\.fa not found",
    )
    _both(
        lambda: enrich(EnrichConfig(targets=str(fa))),
        SequenceSetError,
        r"^targets='.*t\.fa': 3 usable",
        r"^TARGETS .*t\.fa: 3 usable",
    )
    _both(
        lambda: evaluate(EvaluateConfig(positives=str(fa), negatives=str(fa))),
        EvaluateConfigError,
        r"^positives='.*t\.fa': 3 usable",
        r"^--positives .*t\.fa: 3 usable",
    )
    _both(
        lambda: scan(ScanConfig(method="model", model_background=str(gone)), fa),
        DataError,
        r"^model_background='.*gone\.fa' not found",
        r"^--model-background .*gone\.fa not found",
    )
    _both(
        lambda: discover(DiscoverConfig(sequences=str(fa), control=str(gone)), tmp_path / "d"),
        DataError,
        r"^control='.*gone\.fa' not found",
        r"^--control .*gone\.fa not found",
    )


def test_domain_readers_name_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    """Readers across the domains passed core's file checks a literal flag: a Python caller read ``--data
    /x.tsv is empty`` (speech manifests), ``--lm ...`` (speech load_lm), ``--csv ...`` (finance
    read_price_csv), ``--text ...`` (nlp read_corpus), ``--unlabelled``, ``--embeddings``, ``--exclude``."""
    from carrousel.finance.data import read_price_csv
    from carrousel.finance.errors import PriceDataError
    from carrousel.nlp.errors import TextDataError
    from carrousel.nlp.lm_data import read_corpus
    from carrousel.nlp.pipeline.common import excluded_texts
    from carrousel.nlp.transfer import read_unlabelled
    from carrousel.nlp.vectors import read_vectors
    from carrousel.speech.data import load_corpus
    from carrousel.speech.errors import LanguageModelError
    from carrousel.speech.lm import load_lm

    gone, empty = tmp_path / "gone.txt", tmp_path / "e.tsv"
    empty.write_bytes(b"")
    _both(
        lambda: load_corpus(str(empty)), DataError, r"^data='.*e\.tsv' is empty", r"^--data .*e\.tsv is empty"
    )
    _both(lambda: load_lm(gone), LanguageModelError, r"^lm='.*gone\.txt' not found", r"^--lm .*gone\.txt not")
    _both(
        lambda: read_price_csv(gone),
        PriceDataError,
        r"^csv_path='.*gone\.txt' not found",
        r"^--csv .*gone\.txt not found",
    )
    _both(
        lambda: read_corpus([str(gone)]),
        DataError,
        r"^data\.files='.*gone\.txt' not found",
        r"^--text .*gone\.txt not found",
    )
    for call, name in (
        (lambda: read_unlabelled([gone], 10), "unlabelled"),
        (lambda: read_vectors(gone, {"a"}), "embeddings"),
        (lambda: excluded_texts(str(gone)), "exclude"),
    ):
        _both(call, (DataError, TextDataError), rf"^{name}='.*gone\.txt'", rf"^--{name} .*gone\.txt")


def test_nlp_configs_name_python_settings_to_python_and_flags_to_the_cli() -> None:
    """nlp's configs spelled flags to a Python caller: ``SentimentExportConfig(prune=0.5)`` said ``--prune
    needs --unlabelled FILE``, ``TranslateDataConfig(("p.tsv",), src=" ")`` ``--src and --tgt must not be
    empty``; likewise --label-map / --data and the ``(--data)``, ``(--text)``, ``(--pairs)`` hints."""
    from carrousel.nlp.config import LMDataConfig, SentimentExportConfig, TextDataConfig, TranslateDataConfig
    from carrousel.nlp.errors import NLPConfigError

    _both(
        lambda: SentimentExportConfig(prune=0.5),
        NLPConfigError,
        r"^prune needs unlabelled: texts \(one per line",
        r"^--prune needs --unlabelled FILE: texts \(one per line",
    )
    _both(
        lambda: SentimentExportConfig(label_map="pos=positive"),
        NLPConfigError,
        r"^label_map is for data \(the labelled texts",
        r"^--label-map is for --data \(the labelled texts",
    )
    _both(
        lambda: TranslateDataConfig(("p.tsv",), src=" "),
        NLPConfigError,
        r"^src and tgt must not be empty$",
        r"^--src and --tgt must not be empty$",
    )
    for make, python, cli in (
        (lambda: TextDataConfig(" "), r"\(data\.source\)$", r"\(--data\)$"),
        (lambda: LMDataConfig(()), r"\(data\.files\)$", r"\(--text\)$"),
        (lambda: TranslateDataConfig(()), r"\(pairs\)$", r"\(--pairs\)$"),
    ):
        _both(make, NLPConfigError, python, cli)


def test_a_diverged_training_names_its_setting_as_its_caller_gives_it() -> None:
    """The fix a diverged training names was a literal flag: a Python caller of nlp's training read ``lower
    --lr (now 1e+30)``, of a pruned fine-tuning ``lower --prune (now 0.5) or --finetune-epochs (now 2; ...)``
    (core's variant_fix; bio's and speech's trainings likewise, ``fit.lr`` and ``lr``)."""
    from carrousel.core.errors import NonFiniteLossError
    from carrousel.core.prune.finetune import variant_fix
    from carrousel.core.train import FitResult, TrainConfig
    from carrousel.nlp.pipeline.common import check_converged

    _both(
        lambda: check_converged(float("nan"), FitResult(), 1e30),
        NonFiniteLossError,
        r"lower fit\.lr \(now 1e\+30\)$",
        r"lower --lr \(now 1e\+30\)$",
    )
    config = TrainConfig(epochs=2, lr=1e-3)
    assert variant_fix(config, 0.5) == (
        "prune (now 0.5) or finetune_epochs (now 2; the learning rate is fixed at 0.001)"
    )
    with flags_named():
        assert variant_fix(config, 0.5) == (
            "--prune (now 0.5) or --finetune-epochs (now 2; the learning rate is fixed at 0.001)"
        )
        assert variant_fix(config) == "--finetune-epochs (now 2; the learning rate is fixed at 0.001)"


def test_a_spawned_worker_names_settings_as_the_command_that_started_it() -> None:
    """A spawned process starts without its parent's context: nlp translate train's members (trained in
    worker processes) named ``fit.lr`` inside the command once the fix was an option(); the pool's
    initializer ``name_flags`` gives the worker its parent's naming."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from carrousel.core.option_names import name_flags

    spawn = multiprocessing.get_context("spawn")
    with flags_named(), ProcessPoolExecutor(1, spawn, name_flags, (naming_flags(),)) as pool:
        assert pool.submit(option, "lookback", 30).result() == "--lookback 30"
    with ProcessPoolExecutor(1, spawn, name_flags, (naming_flags(),)) as pool:
        assert pool.submit(option, "lookback", 30).result() == "lookback=30"
    with pytest.raises(ConfigError):
        name_flags("yes")  # type: ignore[arg-type]


def test_bio_training_files_are_named_with_their_setting(tmp_path: Path) -> None:
    """bio's training sets named a file ``{option('positives')} {path}``: a Python caller read ``positives
    /x.fa: 3 usable sequence(s)`` (no ``=``); now ``positives='/x.fa'`` as core's file checks show it."""
    from carrousel.bio.config import TrainDataConfig
    from carrousel.bio.data import training_set
    from carrousel.core.errors import CarrouselError

    fa = tmp_path / "p.fa"
    fa.write_text("".join(f">s{i}\n{'ACGT' * 100}\n" for i in range(3)), encoding="utf-8")
    _both(
        lambda: training_set(TrainDataConfig(positives=str(fa)), []),
        CarrouselError,
        r"^positives='.*p\.fa': 3 usable",
        r"^--positives .*p\.fa: 3 usable",
    )


def test_warnings_and_notes_name_the_output_as_the_caller_gave_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A run folder's charts left out for want of matplotlib were said as ``--out /x gets no fan charts``
    (finance forecast) and ``--out /x gets metrics.json without its charts`` (nlp evaluate_sentiment) to a
    Python caller too; a look-ahead note said ``retrain without --model-dir``, bio's planted windows
    ``--per-motif windows must be ...``."""
    import logging
    import sys
    from types import SimpleNamespace

    from carrousel.bio.config import TrainDataConfig
    from carrousel.bio.errors import TrainConfigError
    from carrousel.core.errors import CarrouselError
    from carrousel.finance.bundle import ForecasterBundle
    from carrousel.finance.config import FinanceConfig
    from carrousel.finance.pipeline import forecast
    from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
    from carrousel.nlp.pipeline.sentiment_eval import evaluate_sentiment

    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it now fails as if not installed
    run, gone = tmp_path / "run", tmp_path / "no_model"
    cfg = SentimentEvaluateConfig(model=str(gone), data=TextDataConfig("d.csv"))
    for call, python, cli in (
        (
            lambda: forecast(FinanceConfig(), out_dir=run, table_format="xls"),
            f"out_dir={str(run)!r}",
            "--out",
        ),
        (lambda: evaluate_sentiment(cfg, run), f"out={str(run)!r}", "--out"),
    ):
        for naming, said in ((contextlib.nullcontext(), python), (flags_named(), f"{cli} {run}")):
            caplog.clear()
            with naming, caplog.at_level(logging.WARNING, logger="carrousel"), pytest.raises(CarrouselError):
                call()  # warned before any work, then refused (the table format, the missing model)
            assert any(r.getMessage().startswith(f"{said} gets ") for r in caplog.records), caplog.text
    seen: Any = SimpleNamespace(data={"A": {"last": "2030-01-02"}})  # a bundle trained past the history
    history: Any = SimpleNamespace(ticker="A", notes=[], end=pd.Timestamp("2020-01-02"), sha256="x")
    assert ForecasterBundle._notes(seen, history)[0].endswith("retrain without model_dir to backdate")
    with flags_named():
        assert ForecasterBundle._notes(seen, history)[0].endswith("retrain without --model-dir to backdate")
    _both(
        lambda: TrainDataConfig(per_motif=0),
        TrainConfigError,
        r"^per_motif windows must be an integer >= 1",
        r"^--per-motif windows must be an integer >= 1",
    )
