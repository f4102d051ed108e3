"""FASTA comment lines: ``#`` or ``;`` lines before the first record (logomaker's crp_sites.fa, the bio.crp_sites
sample, opens with ten) are skipped with one warning naming how many, by both readers and so by every bio
command; a comment line inside a record stays one error naming its line. Before: "text before the first '>'
header ('#') ... (FASTA has no comment lines)" and exit 1."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import decode, iter_records, read_sequences
from carrousel.bio.motifs import resolve_motifs

runner = CliRunner()
HEAD = "# \n# CRP binding sites from RegulonDB, in FASTA format.\n;an old-style comment\n\n"


def _commented(src: Path, dst: Path) -> Path:
    dst.write_text(HEAD + src.read_text())
    return dst


def test_both_readers_skip_leading_comments_with_one_warning(tmp_path, caplog) -> None:
    path = tmp_path / "crp_sites.fa"
    path.write_text(
        HEAD + ">0\tcaiFp\t-41.5\nATAAGCAGGATTTAGCTCACACTTAT\n>1\tcaiTp\nAAAAATGTGATACCAATCACAGAATA\n"
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        streamed = [(n, decode(c)) for n, c in iter_records(path)]
        names, seqs = read_sequences(path)
        list(iter_records(path))
    assert (
        streamed
        == list(zip(names, seqs, strict=True))
        == [
            ("0", "ATAAGCAGGATTTAGCTCACACTTAT"),
            ("1", "AAAAATGTGATACCAATCACAGAATA"),
        ]
    )
    said = [r.getMessage() for r in caplog.records if "comment line" in r.getMessage()]
    assert said == [f"{path}: skipped 3 comment lines ('#' or ';') before the first record"]


@pytest.mark.parametrize("mark", ["#", ";"])
def test_a_comment_line_inside_a_record_is_an_error_naming_its_line(tmp_path, mark) -> None:
    path = tmp_path / "inside.fa"
    path.write_text(f"# a header comment\n>a\nACGT\n>b\nACGT\n{mark} a note\nACGT\n")
    for read in (lambda: list(iter_records(path)), lambda: read_sequences(path)):
        with pytest.raises(FastaFormatError) as caught:
            read()
        assert str(caught.value).startswith(f"{path}, line 6: comment line '{mark} a note' inside record 'b'")


def test_other_text_before_the_first_header_is_still_refused(tmp_path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("# fine\nhello\n>a\nACGT\n")
    for read in (lambda: list(iter_records(path)), lambda: read_sequences(path)):
        with pytest.raises(FastaFormatError, match=r"before the first '>' header \('hello'\)"):
            read()


def test_every_command_reads_a_commented_file(tmp_path, toy) -> None:
    """scan, enrich, evaluate, train and discover, each given files opening with comment lines."""
    pos = _commented(toy["test_pos"], tmp_path / "pos.fa")
    neg = _commented(toy["test_neg"], tmp_path / "neg.fa")
    site = resolve_motifs("CTCF")[0].consensus()
    genome = tmp_path / "g.fa"
    genome.write_text(HEAD + ">chr1\n" + "ACGTTGCA" * 20 + site + "TTGA" * 30 + "\n")
    res = runner.invoke(app, ["scan", str(genome), "-m", "CTCF", "--json", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert [v["hits"] >= 1 for v in json.loads(res.stdout)["hits_per_motif"].values()] == [True]
    res = runner.invoke(app, ["enrich", str(pos), "--background", str(neg), "-m", "CTCF", "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["evaluate", "--positives", str(pos), "--negatives", str(neg), "--pwm-only", "-m", "CTCF", "--json"],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["positives"] == 40
    args = ["--window", "60", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
    res = runner.invoke(
        app, ["train", "--positives", str(pos), "--negatives", str(neg), *args, "-o", str(tmp_path / "m")]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["discover", str(pos), "--model", str(toy["model"]), "-o", str(tmp_path / "d"), "--jaspar", "CTCF"],
    )
    assert res.exit_code == 0, res.output


def test_a_genome_too_large_to_read_whole_names_its_comment_lines_as_the_fix(tmp_path) -> None:
    """pyfaidx cannot index a file opening with '#' lines; past the read-whole limit the error said to
    'rewrite it with one line width', which would not help; it now says to delete the comment lines."""
    from carrousel.bio.genome import Genome

    path = tmp_path / "g.fa"
    path.write_text("# assembly notes\n>chr1\nACGTACGTAC\nACGTACGTAC\n")
    with Genome.open(path) as g:  # small: read whole, comments skipped
        assert g.lengths == {"chr1": 20}
    (tmp_path / "g.fa.fai").unlink(missing_ok=True)
    with pytest.raises(FastaFormatError, match="delete the comment lines before the first '>' header"):
        Genome.open(path, max_whole_bases=5)


def test_both_readers_name_the_same_line_past_a_header_holding_a_form_feed(tmp_path) -> None:
    # read_sequences cut lines with str.splitlines (also at a form feed or U+2028), iter_records at \n only
    path = tmp_path / "inside.fa"
    path.write_text(">a note\x0cpage\u2028two\nACGT\n# a note\nACGT\n", encoding="utf-8")
    said = f"{path}, line 3: comment line '# a note' inside record 'a'"
    for read in (lambda: list(iter_records(path)), lambda: read_sequences(path)):
        with pytest.raises(FastaFormatError) as caught:
            read()
        assert str(caught.value).startswith(said)
