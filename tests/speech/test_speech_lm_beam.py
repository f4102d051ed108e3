"""``--hotword`` or ``--lm`` without ``--beam``: the prefix beam search they need ran with a beam of one,
which reads worse than greedy decoding: a hotword never said cost words (espeak-ng's Scottish voice's
"seven three nine two" read ``seven three i two``; greedy ``seven threenine two``, ``--beam 8`` right) and
``speech evaluate --data sample:tidigits --threads 1`` went from WER 0.652 greedy to 0.705 with
``--hotword marvin`` and 0.696 with ``--lm`` (0.455 with ``--beam 8 --hotword marvin``). They now search
``DecodeConfig.LM_BEAM`` (8) where the beam is 1."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from carrousel.speech.cli import app
from carrousel.speech.config import DecodeConfig
from tests.speech.conftest import spoken


def test_an_lm_or_hotwords_search_a_beam_of_eight_where_the_beam_is_one(tmp_path: Path) -> None:
    lm = tmp_path / "lm.txt"
    assert (
        DecodeConfig(hotwords=("marvin",)).width
        == DecodeConfig(lm=str(lm)).width
        == DecodeConfig.LM_BEAM
        == 8
    )
    assert DecodeConfig(beam=3, hotwords=("marvin",)).width == 3  # a beam asked for is kept
    assert DecodeConfig().width == 1 and not DecodeConfig().uses_beam  # greedy stays greedy
    assert DecodeConfig(beam=4, nbest=2).width == 4


def test_a_hotword_without_a_beam_reads_as_with_one(tmp_path: Path) -> None:
    spoken("seven three nine two", tmp_path, "en-gb-scotland+m3")
    wav = tmp_path / "s.wav"
    runner = CliRunner()
    texts = {}
    for how in ((), ("--beam", "8")):
        res = runner.invoke(app, ["transcribe", str(wav), "--hotword", "marvin", *how, "--threads", "1"])
        assert res.exit_code == 0, res.output
        texts[how] = res.stdout.strip()
    assert texts[()] == texts[("--beam", "8")] == "seven three nine two", texts  # before: seven three i two
