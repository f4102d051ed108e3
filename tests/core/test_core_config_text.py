"""Text fields of configs built in a notebook (core.config_text, run by check_numbers) and one-line reprs of
bundles and loaded models (core.bundle). Found by the notebook sweep of the nlp and speech Python APIs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from carrousel.core.bundle import Bundle
from carrousel.core.config import check_numbers


@dataclass(frozen=True)
class _Cfg:
    source: str = "a.csv"  # one file
    out: str | None = None  # an optional file
    files: tuple[str, ...] = ()  # several files
    words: tuple[str, ...] = ()  # several words

    def __post_init__(self) -> None:
        check_numbers(self)


def test_a_path_in_a_text_field_is_kept_as_its_text() -> None:
    # before: the Path itself stayed, and a class check (source.strip()) failed with an AttributeError
    cfg = _Cfg(source=Path("data/reviews.csv"), out=Path("x.txt"))  # type: ignore[arg-type]
    assert cfg.source == "data/reviews.csv" and type(cfg.source) is str and cfg.out == "x.txt"


def test_one_string_or_path_in_a_tuple_field_is_one_item_not_its_letters() -> None:
    # before: hotwords="ferrars" was seven one-letter hotwords; files=Path(...) a TypeError (no len())
    assert _Cfg(words="ferrars").words == ("ferrars",)  # type: ignore[arg-type]
    assert _Cfg(files=Path("a.txt")).files == ("a.txt",)  # type: ignore[arg-type]
    assert _Cfg(files=[Path("a.txt"), "b.txt"]).files == ("a.txt", "b.txt")  # type: ignore[arg-type]
    assert replace(_Cfg(), words=["x", "y"]).words == ("x", "y")  # type: ignore[arg-type]


def test_plain_text_fields_are_left_as_they_are() -> None:
    cfg = _Cfg(files=("a.txt",), words=())
    assert _Cfg(files=cfg.files).files is cfg.files and _Cfg().out is None


def test_a_bundle_repr_is_one_short_line() -> None:
    # before: the dataclass repr printed every asset, array and file byte (354,329 characters for the
    # shipped sentiment model)
    b = Bundle(
        "x.test", torch.nn.Linear(3, 2), assets={"labels": ["a"] * 10_000}, files={"t.json": b"x" * 10**6}
    )
    shown = repr(b)
    assert "\n" not in shown and len(shown) < 300
    assert shown.startswith("Bundle(kind='x.test', model=Linear (8 weights), assets=['labels']")


def test_model_repr_names_the_class_and_fields() -> None:
    from carrousel.core.bundle import model_repr  # new: not on main

    class Model:
        pass

    assert (
        model_repr(Model(), labels=["a", "b"], precision="fp32")
        == "Model(labels=['a', 'b'], precision='fp32')"
    )
