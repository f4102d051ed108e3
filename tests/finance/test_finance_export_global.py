"""``finance export`` of a model ``finance train-global`` wrote scores it on the table of ``--data`` its folder
records (the ``run`` asset), the model's own prices, not on Yahoo's AAPL (a global model's config records no
tickers or source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.finance.test_finance_global import ar_panel, tiny_global_toml

runner = CliRunner()
TINY = tiny_global_toml()


def _train_global(tmp_path: Path, data: Path) -> Path:
    (tmp_path / "tiny.toml").write_text(TINY)
    model = tmp_path / "gm"
    args = [
        "train-global",
        "--data",
        str(data),
        "--model-dir",
        str(model),
        "--config",
        str(tmp_path / "tiny.toml"),
    ]
    res = runner.invoke(app, [*args, "-q"])
    assert res.exit_code == 0, res.output
    return model


def test_a_global_model_is_scored_on_its_own_table(
    tmp_path: Path, stocks_csv: Path, yahoo_refused: None
) -> None:
    """Fails on main: the export read the placeholder [data] defaults (AAPL from Yahoo: "Yahoo Finance is
    unreachable... fetching AAPL"), though --source's help says the default is the model's own prices."""
    model = _train_global(tmp_path, stocks_csv)
    out = tmp_path / "gx"
    res = runner.invoke(
        app, ["export", "--model-dir", str(model), "-o", str(out), "--eval-days", "20", "--json"]
    )
    assert res.exit_code == 0, res.output
    note = json.loads(res.stdout)["metric_note"]
    assert "AAPL 20 origins" in note and "MSFT 20 origins" in note, note


def test_a_global_model_whose_table_is_no_price_csv_is_refused_in_one_line(
    tmp_path: Path, yahoo_refused: None
) -> None:
    """Fails on main (Yahoo asked for AAPL): a table that cannot be read as prices (160 rows of unique_id, ds,
    y: too short a price history; before the --csv reader read that layout, the layout itself) is refused in
    one line naming the table and --source, nothing written."""
    table = tmp_path / "panel.csv"
    ar_panel(2, 160).to_csv(table, index=False)
    model = _train_global(tmp_path, table)
    out = tmp_path / "gx"
    res = runner.invoke(app, ["export", "--model-dir", str(model), "-o", str(out), "--eval-days", "20"])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and not out.exists(), res.output
    assert (
        f"train-global --data {table}" in lines[0]
        and "--source sample, yahoo or auto for its series" in lines[0]
    ), lines[0]


def test_a_global_model_of_a_unique_id_ds_y_table_is_scored_on_it(
    tmp_path: Path, stocks_csv: Path, yahoo_refused: None
) -> None:
    """Fails on main: a model trained on the README's unique_id, ds, y table was refused ("which cannot be
    read as prices (...: price table lacks column(s) date, close ...)"), as --csv did not read that layout."""
    from carrousel.finance.frames import read_frame

    table = tmp_path / "panel.csv"
    read_frame(stocks_csv).to_csv(table, index=False)
    model = _train_global(tmp_path, table)
    res = runner.invoke(app, ["export", "--model-dir", str(model), "-o", str(tmp_path / "gx"), "--eval-days", "20",
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "MSFT 20 origins" in json.loads(res.stdout)["metric_note"]


def test_a_global_model_is_pruned_on_its_own_table(
    tmp_path: Path, stocks_csv: Path, yahoo_refused: None
) -> None:
    """Fails on main (scored on Yahoo's AAPL), and with only the scoring fixed: ``--prune`` fine-tuned on
    the placeholder [data] defaults (Yahoo's AAPL), not the table the model was trained on."""
    model = _train_global(tmp_path, stocks_csv)
    out = tmp_path / "gx"
    args = ["export", "--model-dir", str(model), "-o", str(out), "--eval-days", "20", "--json"]
    res = runner.invoke(app, [*args, "--prune", "0.3", "--finetune-epochs", "1"])
    assert res.exit_code == 0, res.output
    assert "MSFT 20 origins" in json.loads(res.stdout)["metric_note"]


def test_a_global_models_relative_table_not_found_from_here_is_one_line(
    tmp_path: Path, stocks_csv: Path, monkeypatch: pytest.MonkeyPatch, yahoo_refused: None
) -> None:
    """Fails on main (Yahoo asked): a --data given relative is read from where export runs; from elsewhere
    the line says so, and how to proceed."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s.csv.gz").write_bytes(stocks_csv.read_bytes())
    monkeypatch.chdir(tmp_path / "a")
    model = _train_global(tmp_path, Path("s.csv.gz"))
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(
        app, ["export", "--model-dir", str(model), "-o", str(tmp_path / "gx"), "--eval-days", "20"]
    )
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and not (tmp_path / "gx").exists(), res.output
    assert "(train-global --data s.csv.gz), not found from" in lines[0], lines[0]
    assert "run export where train-global ran" in lines[0], lines[0]


def test_an_exported_global_model_keeps_its_run_record_and_forecasts(
    tmp_path: Path, stocks_csv: Path, yahoo_refused: None
) -> None:
    """Fails on main: the exported bundle lost the ``run`` asset (the --data table and --holdout-days) and
    wrote the config with placeholder [data] defaults (tickers, source...), so it no longer said what it was
    trained on, and an export of the export was scored on Yahoo's AAPL. Now both are kept as trained, and
    finance predict reads the exported folder."""
    model = _train_global(tmp_path, stocks_csv)
    out = tmp_path / "gx"
    res = runner.invoke(app, ["export", "--model-dir", str(model), "-o", str(out), "--eval-days", "20", "-q"])
    assert res.exit_code == 0, res.output
    trained = json.loads((model / "bundle.json").read_text())["assets"]
    exported = json.loads((out / "bundle.json").read_text())["assets"]
    assert exported["run"] == trained["run"] == {"data": str(stocks_csv), "holdout_days": 0}
    assert exported["config"] == trained["config"] and "tickers" not in exported["config"]["data"]
    res = runner.invoke(app, ["predict", "--data", str(stocks_csv), "--model-dir", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert {r["unique_id"] for r in json.loads(res.stdout)["rows"]} == {"AAPL", "MSFT"}
    again = runner.invoke(app, ["export", "--model-dir", str(out), "-o", str(tmp_path / "gx2"), "--eval-days", "20", "--json"])  # fmt: skip
    assert again.exit_code == 0 and "MSFT 20 origins" in json.loads(again.stdout)["metric_note"], again.output


@pytest.mark.parametrize("variant", [["--prune", "0.3"], ["--distill", "4"]])
def test_a_global_export_reads_its_table_once(
    tmp_path: Path, stocks_csv: Path, yahoo_refused: None, monkeypatch: pytest.MonkeyPatch, variant: list[str]
) -> None:
    """Fails on main: ``--prune``/``--distill`` of a global model read its --data table 4 times (a check,
    the scoring prices, then the check and the prices again for the fine-tuning windows); now once, the
    frames passed down."""
    from carrousel.finance import data, global_file

    model = _train_global(tmp_path, stocks_csv)
    reads: list[str] = []
    real = data.read_price_csv

    def counted(path: object) -> object:
        reads.append(str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "read_price_csv", counted)
    monkeypatch.setattr(global_file, "read_price_csv", counted, raising=False)  # main's own binding
    args = ["export", "--model-dir", str(model), "-o", str(tmp_path / "gx"), "--eval-days", "20", "-q"]
    res = runner.invoke(app, [*args, *variant, "--finetune-epochs", "1"])
    assert res.exit_code == 0, res.output
    assert reads == [str(stocks_csv)], reads
