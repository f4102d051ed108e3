"""A hub name on a machine that cannot reach the HF hub: one quick probe of the endpoint, then an offline load
(a cached set still loads, any other fails at once naming the endpoint) instead of the hub's 23 s of retries.
No network: the endpoint is a closed local port, a local HTTP server thread, or a proxy that is one."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp import hf_data
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.hf_data import load_hf
from tests.nlp.conftest import Run


@dataclass
class Hub:
    """What the hub libraries were asked: probes of an endpoint, and requests that entered the hub's
    retrying loop while online (each of which would have waited 23 s where the hub is unreachable)."""

    probes: list[str] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Hub:
    """The hub libraries online (as without HF_HUB_OFFLINE), an empty HF cache, no proxy, no probe asked
    yet in this process; the probe and the hub's retrying request recorded (the latter refused)."""
    import datasets
    import huggingface_hub
    from huggingface_hub.utils import _http

    for name in (
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HTTPS_PROXY",
        "HTTP_PROXY",
    ):
        for variant in (name, name.lower()):
            monkeypatch.delenv(variant, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(hf_data, "_UNREACHABLE", {}, raising=False)
    seen = Hub()
    probe = getattr(hf_data, "_probe", None)

    def spy_probe(endpoint: str) -> Any:
        seen.probes.append(endpoint)
        return probe(endpoint) if probe else ""

    def refuse_retries(method: str, url: str, **kwargs: Any) -> Any:
        if not huggingface_hub.constants.HF_HUB_OFFLINE:
            seen.retries.append(url)
            raise RuntimeError(f"test: the hub's retrying request to {url} was entered online")
        return real_backoff(method, url, **kwargs)

    real_backoff = _http._http_backoff_base
    monkeypatch.setattr(hf_data, "_probe", spy_probe, raising=False)
    monkeypatch.setattr(_http, "_http_backoff_base", refuse_retries)
    return seen


def closed_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server thread answering 200 to every HEAD request: its URL and the targets it was asked."""
    asked: list[str] = []

    class Answer(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()
    httpd.server_close()


def use_endpoint(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", url)


def record_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any, tuple[bool, bool]]]:
    """``datasets.load_dataset`` replaced by a recorder of its arguments and of the two offline flags."""
    import datasets
    import huggingface_hub

    calls: list[tuple[Any, Any, tuple[bool, bool]]] = []

    def load_dataset(*args: Any, **kwargs: Any) -> Any:
        offline = (huggingface_hub.constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE)
        calls.append((args, kwargs, offline))
        return datasets.Dataset.from_dict({"text": ["fine"], "label": ["pos"]})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_an_unreachable_hub_fails_at_once_naming_the_endpoint(
    hub: Hub, nlp: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # before: the hub's retrying request was entered online (1 + 2 + 4 + 8 + 8 s of backoff), no probe
    endpoint = f"http://127.0.0.1:{closed_port()}"
    use_endpoint(monkeypatch, endpoint)
    run = nlp("sentiment", "train", "--data", "no_such_set_xyz", "-o", str(tmp_path / "model"))
    assert run.returncode == 1
    error = run.stderr.strip()
    assert "\n" not in error and "Traceback" not in error
    assert f"--data no_such_set_xyz: the HF hub {endpoint} could not be reached (ConnectError" in error
    assert "the local HF cache does not give it; check the network or proxy" in error
    assert "set HF_ENDPOINT" in error and "a saved folder" in error
    assert hub.probes == [endpoint] and hub.retries == []
    with pytest.raises(TextDataError, match="could not be reached"):  # the probe's answer is kept
        load_hf("wmt16:de-en", "--pairs", what="translation set")
    assert hub.probes == [endpoint] and hub.retries == []
    import huggingface_hub

    assert huggingface_hub.constants.HF_HUB_OFFLINE is False  # offline for that call only


def test_an_unreachable_hub_still_loads_a_set_from_the_local_cache(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A set the hub gave before sits in the HF cache as ``NAME/default/VERSION/HASH``; offline, datasets
    finds it there. Written here by the CSV builder under a hub-like name (no network)."""
    import datasets
    from datasets.data_files import DataFilesDict
    from datasets.packaged_modules.csv.csv import Csv

    table = tmp_path / "toy.csv"
    table.write_text("text,label\na lovely film,pos\ndull and slow,neg\ngreat cast,pos\n")
    files = DataFilesDict.from_patterns({"train": [str(table)]})
    builder = Csv(dataset_name="toyset", data_files=files, hash="0123abcd")
    builder.download_and_prepare()
    Path(builder.cache_dir).parents[1].rename(Path(datasets.config.HF_DATASETS_CACHE) / "toyset" / "default")
    endpoint = f"http://127.0.0.1:{closed_port()}"
    use_endpoint(monkeypatch, endpoint)

    ds = load_hf("toyset", "--data")
    assert ds["text"] == ["a lovely film", "dull and slow", "great cast"]
    assert hub.probes == [endpoint] and hub.retries == []
    with pytest.raises(TextDataError, match=r"does not give it \(ValueError: Unknown split \"test\""):
        load_hf("toyset#test", "--data")


def test_a_reachable_hub_is_loaded_online_as_before(
    hub: Hub, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, asked = server
    use_endpoint(monkeypatch, url)
    calls = record_loads(monkeypatch)
    load_hf("glue:sst2#validation", "--data")
    assert calls == [(("glue", "sst2"), {"split": "validation"}, (False, False))]
    assert hub.probes == [url] and asked == ["/"]


def test_the_probe_goes_through_the_proxy_the_hub_would_use(
    hub: Hub, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint's host does not resolve; the proxy (the local server) answers for it."""
    from huggingface_hub.utils import _http

    url, asked = server
    use_endpoint(monkeypatch, "http://hub.invalid")
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    calls = record_loads(monkeypatch)
    _http.close_session()  # the shared client reads the proxy variables when it is made
    try:
        load_hf("imdb", "--data")
    finally:
        _http.close_session()  # the next client is made without the proxy
    assert asked == ["http://hub.invalid/"] and calls[0][2] == (False, False)


def test_no_probe_in_offline_mode_or_for_a_saved_folder(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import datasets
    import huggingface_hub

    datasets.Dataset.from_dict({"text": ["fine"], "label": ["pos"]}).save_to_disk(str(tmp_path / "saved"))
    use_endpoint(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    assert load_hf(str(tmp_path / "saved"), "--data")["text"] == ["fine"]
    real_load = datasets.load_dataset
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # set after the import: the constants still say online
    calls = record_loads(monkeypatch)
    load_hf("imdb", "--data")
    assert calls[0][2] == (True, True)  # loaded offline, as the variable asks
    monkeypatch.delenv("HF_DATASETS_OFFLINE")
    monkeypatch.setattr(datasets, "load_dataset", real_load)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # as HF_HUB_OFFLINE=1 at import
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(
        TextDataError, match="--data no_such_set_xyz: cannot load it as an HF datasets data set"
    ):
        load_hf("no_such_set_xyz", "--data")
    assert hub.probes == [] and hub.retries == []
