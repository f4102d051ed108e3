"""core's ``--config`` convention: the file read once with one-line errors, its tables checked against the
command's config classes, and per field flag > file > the command's own default."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
from pathlib import Path

import pytest

from carrousel.core.cli_config import flag_or_file, merged, pick, read_tables
from carrousel.core.config import TomlDocument, from_dict, overlay, read_toml
from carrousel.core.errors import CarrouselError, ConfigError
from carrousel.core.option_names import flags_named, option


@dataclasses.dataclass(frozen=True)
class Fit:
    epochs: int = 15
    lr: float = 2e-3
    decay: float = 0.0
    device: str = "auto"


@dataclasses.dataclass(frozen=True)
class Data:
    files: tuple[str, ...]
    share: float = 0.1


class Where(enum.StrEnum):
    cpu = "cpu"


def _file(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "run.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_a_table_that_sets_some_fields_keeps_the_commands_defaults(tmp_path: Path) -> None:
    path = _file(tmp_path, "[fit]\ndecay = 0.999\nlr = 1\n")
    fit = read_tables(path, {"fit": Fit, "data": Data})["fit"]
    assert fit is not None and fit.given == {"decay": 0.999, "lr": 1.0}  # validated, int -> float
    ours = Fit(epochs=32, lr=3e-3)  # the command's defaults, not the class's
    assert merged(fit, ours) == Fit(epochs=32, lr=1.0, decay=0.999)
    assert merged(fit, ours, epochs=5, lr=None, device=Where.cpu) == Fit(5, 1.0, 0.999, "cpu")
    assert (pick(None, fit, "lr", 9.0), pick(7.0, fit, "lr", 9.0), pick(None, fit, "epochs", 32)) == (
        1.0,
        7.0,
        32,
    )
    assert merged(None, ours, epochs=None) == ours and pick(None, None, "lr", 9.0) == 9.0


def test_required_fields_come_from_the_command_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "[data]\nshare = 0.2\n")
    tables = read_tables(path, {"fit": Fit, "data": Data}, {"data": {"files": ("a.txt",)}})
    data = tables["data"]
    assert tables["fit"] is None and data is not None and data.given == {"share": 0.2}
    assert read_tables(None, {"fit": Fit}) == {"fit": None}


def test_tables_from_a_document_already_read_name_its_file(tmp_path: Path) -> None:
    """A command that looks at the file first (nlp generate train: ``[data] files`` for ``--text``) hands its
    document over, so the file is read once; messages still name the file."""
    doc = read_toml(_file(tmp_path, '[data]\nfiles = ["a.txt"]\n[fit]\nepochs = "x"\n'))
    with pytest.raises(ConfigError, match=r"run\.toml"):
        read_tables(doc, {"fit": Fit, "data": Data})
    doc = read_toml(_file(tmp_path, '[data]\nfiles = ["a.txt"]\n'))
    data = read_tables(doc, {"fit": Fit, "data": Data})["data"]
    assert data is not None and data.given == {"files": ("a.txt",)}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[fitt]\nepochs = 3\n", "unknown table(s) fitt; valid: data, fit"),
        ("epochs = 3\n", "unknown table(s) epochs"),
        ("fit = 3\n", "fit must be a table"),
        ("[fit]\nepoch = 3\n", "run.toml: unknown option(s) epoch; valid: decay, device, epochs, lr"),
        ('[fit]\nepochs = "3"\n', "run.toml: expected an integer, got '3'"),
        ("[fit\n", "is not valid TOML"),
        (b"[fit]\nepochs = \xff\n", "is not UTF-8 text"),
    ],
)
def test_a_file_the_command_cannot_use_is_one_config_error(tmp_path: Path, text: str, needle: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_tables(path, {"fit": Fit, "data": Data})
    assert needle in str(err.value) and "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_special_and_missing_files_are_refused_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it would wait for a writer; a second read would wait forever
    for path, needle in [(fifo, "is a FIFO"), (tmp_path, "is a folder"), (tmp_path / "no.toml", "not found")]:
        with pytest.raises(CarrouselError, match="^path='.*' " + needle):
            read_toml(path)  # a Python caller: the argument it gave
        with flags_named(), pytest.raises(CarrouselError, match="^--config .*" + needle):
            read_toml(path)
    assert read_toml(_file(tmp_path, "")) == {} and read_toml(_file(tmp_path, " \n")) == {}


def test_read_toml_names_the_python_argument_to_a_python_caller(tmp_path: Path) -> None:
    """Before: ``read_toml("x.toml")`` from Python said ``--config /x.toml is not valid TOML``, a flag the
    caller never typed; now ``path='/x.toml'``, and ``--config`` inside a CLI command (or the flag given)."""
    bad = _file(tmp_path, "[fit\n")
    with pytest.raises(ConfigError, match=r"^path='.*run\.toml' is not valid TOML"):
        read_toml(bad)
    with flags_named(), pytest.raises(ConfigError, match=r"^--config .*run\.toml is not valid TOML"):
        read_toml(bad)
    with flags_named(), pytest.raises(ConfigError, match=r"^--settings .*run\.toml is not valid TOML"):
        read_toml(bad, "--settings")


@dataclasses.dataclass(frozen=True)
class Model:
    size: int = 8
    rate: float | None = None
    fit: Fit = dataclasses.field(default_factory=Fit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[fit]\nepochs = "ten"\n', "[fit] epochs in cfg.toml: expected an integer, got 'ten'"),
        ('[fit]\nlr = "fast"\n', "[fit] lr in cfg.toml: expected a number, got 'fast'"),
        ("[fit]\ndevice = 0\n", "[fit] device in cfg.toml: expected a string, got 0"),
        (
            "[fit]\nepoch = 3\n",
            "[fit] in cfg.toml: unknown option(s) epoch; valid: decay, device, epochs, lr",
        ),
        ('[model]\nrate = "x"\n', "[model] rate in cfg.toml: expected a number, got 'x'"),
        ('[model.fit]\nepochs = "ten"\n', "[model.fit] epochs in cfg.toml: expected an integer, got 'ten'"),
        ("[model]\nfit = 3\n", "[model] fit in cfg.toml: expected a table ([model.fit]), got 3"),
    ],
)
def test_a_wrong_value_names_the_file_the_table_and_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, message: str
) -> None:
    """Before: "Fit.epochs: expected int, got 'ten'", the config class's name, not what the user wrote."""
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        read_tables("cfg.toml", {"fit": Fit, "model": Model})  # nlp's commands
    assert str(err.value) == message
    with pytest.raises(ConfigError) as err:
        overlay(Outer(), read_toml("cfg.toml"))  # finance's and bio's
    assert str(err.value) == message


@dataclasses.dataclass(frozen=True)
class Outer:
    fit: Fit = dataclasses.field(default_factory=Fit)
    model: Model = dataclasses.field(default_factory=Model)


def test_top_level_values_and_plain_dicts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text('epochs = "ten"\n')
    with pytest.raises(ConfigError, match=r"^epochs in cfg.toml: expected an integer, got 'ten'$"):
        from_dict(Fit, read_toml("cfg.toml"))  # speech's: top-level values, flags merged into the document
    doc = read_toml("cfg.toml")
    doc |= {"lr": 1}
    assert isinstance(doc, TomlDocument) and doc.source == "cfg.toml"
    with pytest.raises(ConfigError, match=r"^Fit.epochs: expected int, got 'ten'$"):
        from_dict(Fit, {"epochs": "ten"})  # no file: the field of the config class, as before


def test_read_tables_names_the_python_argument_to_a_python_caller(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Before: ``read_tables("run.toml", ...)`` from Python said ``--config run.toml: unknown table(s) ...``,
    a flag the caller never typed; now ``path='run.toml'``, and ``--config`` inside a command (or the flag
    given), as read_toml names it."""
    monkeypatch.chdir(tmp_path)
    Path("run.toml").write_text("[fitt]\nepochs = 3\n")
    Path("flat.toml").write_text("fit = 3\n")
    for naming, said in ((contextlib.nullcontext(), "path='{}'"), (flags_named(), "--config {}")):
        with naming:
            with pytest.raises(ConfigError) as stray:
                read_tables("run.toml", {"fit": Fit, "data": Data})
            with pytest.raises(ConfigError) as flat:
                read_tables("flat.toml", {"fit": Fit})
        assert str(stray.value) == said.format("run.toml") + ": unknown table(s) fitt; valid: data, fit"
        assert str(flat.value) == said.format("flat.toml") + ": fit must be a table ([fit]), not 3"
    with flags_named(), pytest.raises(ConfigError, match=r"^--settings run\.toml: unknown table\(s\) fitt"):
        read_tables("run.toml", {"fit": Fit}, flag="--settings")


def test_flag_or_file_takes_the_flag_else_the_files_setting_else_refuses(tmp_path: Path) -> None:
    """One rule for a setting that the flag or the file gives (nlp generate's --text, speech train's --data,
    finance's TICKERS): the flag typed wins, else the file's, else the command's line, whatever the file is."""
    path = _file(tmp_path, '[data]\nfiles = ["a.txt"]\n')
    for config in (path, str(path), read_toml(path), {"data": {"files": []}}):  # a file, read or not
        assert flag_or_file(False, config, "data.files", "give it") is True  # set, even empty
        assert flag_or_file(True, config, "data.files", "give it") is False  # the flag wins
    assert flag_or_file(False, {"data": ["x"]}, "data", "m") is True  # a top-level value
    for config in (None, {}, {"data": ["a.txt"]}, {"data": {"other": 1}}, _file(tmp_path, "")):
        with pytest.raises(KeyError, match="give --text or"):
            flag_or_file(False, config, "data.files", "give --text or [data] files", KeyError)
    with pytest.raises(ConfigError, match="give it"):  # the default error: exit 1
        flag_or_file(False, None, "data.files", "give it")
    with pytest.raises(ConfigError, match="typed=1 is an int, not a bool"):
        flag_or_file(1, None, "data.files", "give it")  # type: ignore[arg-type]


def test_settings_block_names_the_precision_and_the_files_settings_where_they_came_from() -> None:
    """``settings_block``: the one block bio, finance and nlp train commands run in (each wrote it before):
    precision checks name ``--precision`` when typed (or no file), else the file's key; the settings the
    file gave are named as it holds them; both end with the block."""
    from carrousel.core.cli_config import settings_block
    from carrousel.core.device import check_precision
    from carrousel.core.option_names import option

    held = {"data.files": "[data] files in run.toml:"}
    with flags_named():
        with settings_block(False, "run.toml", "[fit] precision", held):
            assert option("data.files", "a.txt") == "[data] files in run.toml: a.txt"
            with pytest.raises(ConfigError, match=r'^\[fit\] precision = "fp16" in run\.toml needs a CUDA'):
                check_precision("fp16", "cpu")
        for typed, config in ((True, "run.toml"), (False, None)):
            with settings_block(typed, config, "[fit] precision"):
                assert option("data.files", "a.txt") == "--files a.txt"
                with pytest.raises(ConfigError, match=r"^--precision fp16 needs a CUDA"):
                    check_precision("fp16", "cpu")
        assert option("data.files", "a.txt") == "--files a.txt"
        with pytest.raises(ConfigError, match=r"^--precision fp16 needs a CUDA"):
            check_precision("fp16", "cpu")


def test_file_key_names_a_setting_as_its_file_holds_it(tmp_path: Path) -> None:
    """``file_key``: the one spelling of ``[table] key in FILE`` (core's config messages, and the domains'
    ``settings_from_file`` names, which each spelled it themselves)."""
    from carrousel.core.option_names import file_key, settings_from_file

    assert file_key("fit.lr", "run.toml") == "[fit] lr in run.toml"
    assert file_key("a.b.c", tmp_path / "r.toml") == f"[a.b] c in {tmp_path / 'r.toml'}"
    assert file_key("lr", "run.toml") == "lr in run.toml"
    with flags_named(), settings_from_file({"fit.lr": file_key("fit.lr", "run.toml")}):
        assert option("fit.lr") == "[fit] lr in run.toml"
