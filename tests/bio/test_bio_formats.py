"""Hit files stay well-formed whatever the names: GFF3 percent-encoding (column 9 values and seqids),
BED names without whitespace, TSV fields without tabs, strict JSON."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import RecordInfo
from carrousel.bio.formats import bed_name, gff3_escape, gff3_seqid, to_bed, to_gff3, to_json, to_tsv
from carrousel.bio.hits import Hits, ScanResult
from carrousel.bio.motifs import Motif
from carrousel.bio.scan import scan_genome

NAME = "Nr5a2,Esrrb;x=1 %y"  # a name with every GFF3-reserved character and spaces
RECORD = "chr1;a=b%c,d&e"


def _scan(tmp_path):
    counts = np.array([[10, 0, 0, 0], [0, 10, 0, 0], [0, 0, 10, 0], [0, 0, 0, 10]] * 3, dtype=float)
    motif = Motif("MA9999.1", NAME, counts)
    site = "ACGT" * 3
    fa = tmp_path / "g.fa"
    fa.write_text(f">{RECORD} description\n{'T' * 40}{site}{'A' * 40}\n")
    res = scan_genome(fa, ScanConfig(background="uniform"), motifs=[motif])
    assert len(res.hits) >= 1 and res.records[0].name == RECORD
    return res


def test_gff3_escapes_attribute_values_and_seqids(tmp_path) -> None:
    res = _scan(tmp_path)
    lines = to_gff3(res.hits, res).splitlines()
    assert lines[1] == "##sequence-region chr1%3Ba%3Db%25c%2Cd%26e 1 92"
    assert lines[2] == "# score column: PWM log-odds score of the site (bits)"
    cols = lines[3].split("\t")
    assert len(cols) == 9 and cols[0] == "chr1%3Ba%3Db%25c%2Cd%26e"
    attrs = dict(a.split("=") for a in cols[8].split(";"))  # every ';' and '=' left is a separator
    assert attrs["Name"] == "Nr5a2%2CEsrrb%3Bx%3D1 %25y"  # spaces are not encoded (GFF3 allows them)
    assert unquote(attrs["Name"]) == NAME and unquote(cols[0]) == RECORD
    assert gff3_escape("a\tb\nc\rd\x01e\x7f%") == "a%09b%0Ac%0Dd%01e%7F%25"
    assert gff3_seqid("chr 1>é") == "chr%201%3E%C3%A9" and gff3_seqid("chrX_1.2|a") == "chrX_1.2|a"


def test_bed_names_have_no_whitespace(tmp_path) -> None:
    res = _scan(tmp_path)
    for line in to_bed(res.hits).splitlines():
        cols = line.split("\t")
        assert len(cols) == 6 and len(line.split()) == 6
        assert cols[0] == RECORD and cols[3] == "Nr5a2,Esrrb;x=1_%y_MA9999.1"
    assert (
        bed_name("ID", "a \t\nb\x00c") == "a_b_c_ID" and bed_name("X", "X") == "X" and bed_name("", "") == "."
    )


def test_tsv_and_json_keep_their_shape(tmp_path) -> None:
    res = _scan(tmp_path)
    rows = to_tsv(res.hits).splitlines()
    assert all(len(r.split("\t")) == 13 for r in rows)
    assert rows[1].split("\t")[1] == NAME
    doc = json.loads(to_json(res, include_hits=True), parse_constant=lambda c: 1 / 0)  # no NaN allowed
    assert doc["hit_rows"][0]["motif_name"] == NAME and doc["hit_rows"][0]["model_score"] is None


def _both_methods() -> ScanResult:
    """One PWM row and one model row of the same site (what --method both writes)."""
    hits = Hits.from_columns(
        record=np.array(["chr1", "chr1"], dtype=object),
        start=[10, 10],
        end=[22, 22],
        strand=np.array(["+", "+"], dtype=object),
        motif_id=np.array(["MA1", "MA1"], dtype=object),
        motif_name=np.array(["TF", "TF"], dtype=object),
        pwm_score=[14.5, 14.5],
        pvalue=[1e-6, 1e-6],
        qvalue=[0.01, 0.02],
        method=np.array(["pwm", "model"], dtype=object),
        model_score=[np.nan, 0.93],
        model_pvalue=[np.nan, 0.004],
        sequence=np.array(["ACGTACGTACGT"] * 2, dtype=object),
    )
    return ScanResult(hits, [RecordInfo("chr1", 100)], 100, [("MA1", "TF")], "both")


def test_each_score_column_holds_one_quantity() -> None:
    """PWM bits and model probability never share a column: named TSV/JSON columns, GFF3 attributes
    (column 6 '.' when the file mixes methods), BED score from the PWM p-value on every row."""
    res = _both_methods()
    assert list(res.hits["score"]) == [14.5, 0.93]  # the Python-only per-method score, kept for callers
    tsv = [r.split("\t") for r in to_tsv(res.hits).splitlines()]
    head = tsv[0]
    assert "score" not in head and head[6] == "pwm_score" and head[11] == "model_score"
    assert [r[6] for r in tsv[1:]] == ["14.5", "14.5"] and [r[11] for r in tsv[1:]] == ["NA", "0.93"]
    doc = json.loads(to_json(res, include_hits=True))
    assert "score" not in doc["hit_rows"][0] and "pwm_score" in doc["columns"]
    assert [(r["pwm_score"], r["model_score"]) for r in doc["hit_rows"]] == [(14.5, None), (14.5, 0.93)]
    gff = [line for line in to_gff3(res.hits, res).splitlines() if not line.startswith("#")]
    assert "score column: none" in to_gff3(res.hits, res)
    for line in gff:
        cols = line.split("\t")
        attrs = dict(a.split("=") for a in cols[8].split(";"))
        assert cols[5] == "." and attrs["pwm_score"] == "14.5"
    assert "model_score=0.93" in gff[1] and "model_score" not in gff[0]
    model_only = ScanResult(res.hits.take(np.array([1])), res.records, 100, res.motifs, "model")
    g = [line for line in to_gff3(model_only.hits, model_only).splitlines() if not line.startswith("#")]
    assert g[0].split("\t")[5] == "0.93"  # a model-only file: column 6 is the probability
    assert [line.split("\t")[4] for line in to_bed(res.hits).splitlines()] == ["60", "60"]  # -10 log10 1e-6


def test_old_callers_giving_score_on_pwm_rows_still_fill_pwm_score() -> None:
    hits = Hits.from_columns(
        start=[1, 2],
        method=np.array(["pwm", "model"], dtype=object),
        score=[9.0, 0.8],
        model_score=[np.nan, 0.8],
    )
    assert (
        hits["pwm_score"][0] == 9.0 and np.isnan(hits["pwm_score"][1]) and list(hits["score"]) == [9.0, 0.8]
    )


def test_json_columns_say_which_coordinates_are_0_based(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    """The .json hit file's start is 0-based (BED's), the TSV's 1-based (FIMO's); the `columns` entry
    described the scores only, so nothing told a reader comparing the two files which was which."""
    from carrousel.bio.scan_run import scan

    seq = lcg_dna(600, 3)
    seq = seq[:100] + "GCCACCAGGGGGCGC" + seq[115:]  # CTCF's consensus at 100-115 (0-based)
    fa = write_fasta(tmp_path / "g.fa", {"r": seq})
    cfg = ScanConfig(motifs=("MA0139.2",))
    scan(cfg, fa, out=tmp_path / "h.json")
    scan(cfg, fa, out=tmp_path / "h.tsv")
    doc = json.loads((tmp_path / "h.json").read_text())
    assert "0-based" in doc["columns"]["start"] and "exclusive" in doc["columns"]["end"]
    row = next(r for r in doc["hit_rows"] if r["strand"] == "+" and r["start"] == 100)
    tsv = (tmp_path / "h.tsv").read_text().splitlines()[1:]
    assert any(line.split("\t")[3:6] == ["101", str(row["end"]), "+"] for line in tsv)
