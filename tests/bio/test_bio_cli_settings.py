"""bio's command line merged a ``--config`` file with the flags for the checks across options in two
near-copies (``_merged``: the file's values read by the config class's kinds, for evaluate and export;
``_settings``: taken from the config the flags and the file were merged into, for scan and discover). One
function now, :func:`carrousel.bio.cli._settings.merged` (once cli_settings.py, beside the ~1,000-line cli.py
that is now the cli/ package)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any, cast

import typer

from carrousel.bio import cli as bio_cli
from carrousel.bio.cli._settings import config_file, merged, with_flags
from carrousel.bio.config import ModelCalls, ScanConfig


class _Context:
    """A command's context where no parameter was typed (each setting a default or the file's)."""

    def get_parameter_source(self, name: str) -> None:
        return None


CTX = cast(typer.Context, _Context())
TABLE = {"pvalue": "pvalue", "model_calls": "calls", "motif": "motifs"}


def test_both_ways_of_reading_the_file_give_the_same_settings(tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text('pvalue = 0.001\ncalls = "fdr"\n')
    doc = config_file(conf)
    flags = ScanConfig(motifs=("CTCF",))
    fields: dict[str, Any] = {f: getattr(flags, f) for f in ("pvalue", "calls", "motifs")}
    by_kind = merged(CTX, doc, fields, TABLE, ScanConfig)  # the file not merged yet: read by kind
    from_config = merged(CTX, doc, fields, TABLE, with_flags(CTX, doc, flags, TABLE))  # merged already
    for settings in (by_kind, from_config):
        assert settings.source == str(conf) and settings.typed == frozenset()
        assert (settings["pvalue"], settings["calls"]) == (0.001, ModelCalls.fdr)
        assert settings["motifs"] == ("CTCF",)
        assert settings.given("calls") and not settings.given("motifs")
    assert dict(by_kind.file) == dict(from_config.file) == {"pvalue": 0.001, "calls": "fdr"}
    alone = merged(CTX, None, fields, TABLE, ScanConfig)
    assert alone.source is None and dict(alone.file) == {} and alone["pvalue"] == flags.pvalue


def test_the_cli_keeps_no_copy_of_its_own() -> None:
    """No module of the cli package (once the one cli.py) defines a copy of its own."""
    modules = [
        importlib.import_module(f"{bio_cli.__name__}.{m.name}")
        for m in pkgutil.iter_modules(bio_cli.__path__)
    ]
    assert len(modules) >= 8, modules  # _app, _common, _settings and the six commands' modules
    copies = ("_merged", "_settings", "_with_flags", "_config_file")
    assert [(m.__name__, n) for m in modules for n in copies if n in vars(m)] == []
