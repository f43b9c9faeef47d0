"""Hub model references, resolved by the real huggingface_hub client against a loopback Hub."""

import hashlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from factory.model_ref import HubRef, ModelRefError, resolve_model, resolve_models

COMMIT = "c0ffee" + "0" * 34
FILES = {("someone/math-classifier", "model.bin"): b"fasttext model bytes", ("someone/lid", "sub/lid.ftz"): b"lid"}


class LoopbackHub(BaseHTTPRequestHandler):
    """Serves `/{repo}/resolve/{revision}/{file}` as the Hub does: commit and etag headers, then the bytes."""

    requests: list = []

    def log_message(self, *args):
        pass

    def _file(self):
        owner, name, resolve, revision, *rest = self.path.lstrip("/").split("/")
        content = FILES.get((f"{owner}/{name}", "/".join(rest))) if resolve == "resolve" else None
        if revision not in ("main", COMMIT):
            content = None
        return content

    def _headers(self, content):
        if content is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        self.send_response(200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        return True

    def do_HEAD(self):
        self.requests.append(("HEAD", self.path))
        self._headers(self._file())

    def do_GET(self):
        self.requests.append(("GET", self.path))
        content = self._file()
        if self._headers(content):
            self.wfile.write(content)


@pytest.fixture
def hub(monkeypatch, tmp_path):
    LoopbackHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoopbackHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key in [k for k in os.environ if k.startswith(("HF_", "HUGGING_FACE"))]:
        monkeypatch.delenv(key)
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    )
    yield LoopbackHub.requests
    server.shutdown()


def test_parse():
    assert HubRef.parse("models/m.bin") is None
    assert HubRef.parse("hf://a/b/m.bin") == HubRef("a/b", "m.bin", None)
    assert HubRef.parse("hf://a/b/dir/m.bin@v1.0") == HubRef("a/b", "dir/m.bin", "v1.0")
    with pytest.raises(ModelRefError, match="OWNER/REPO/FILE"):
        HubRef.parse("hf://just-a-repo")


def test_hub_reference_is_downloaded_once_into_the_cache_with_revision_and_sha256(hub, tmp_path):
    resolved = resolve_model("hf://someone/math-classifier/model.bin")
    assert resolved.path.read_bytes() == b"fasttext model bytes"
    assert resolved.path.is_relative_to(tmp_path / "hf")
    assert resolved.revision == COMMIT
    assert resolved.sha256 == hashlib.sha256(b"fasttext model bytes").hexdigest()
    downloads = lambda: sum(1 for method, path in hub if method == "GET" and "/resolve/" in path)  # noqa: E731
    assert downloads() == 1
    again = resolve_model("hf://someone/math-classifier/model.bin")
    assert again == resolved and downloads() == 1
    nested = resolve_model(f"hf://someone/lid/sub/lid.ftz@{COMMIT}")
    assert nested.revision == COMMIT and nested.path.name == "lid.ftz"


def test_unfetchable_reference_is_one_clear_error(hub):
    with pytest.raises(ModelRefError, match=r"cannot fetch hf://someone/missing/model.bin: HTTP 404"):
        resolve_model("hf://someone/missing/model.bin")
    with pytest.raises(ModelRefError, match="no such file"):
        resolve_model("/nonexistent/model.bin")


def test_resolve_models_for_the_manifest(hub, tmp_path):
    local = tmp_path / "lid.ftz"
    local.write_bytes(b"local lid")
    info = resolve_models({"classifier": "hf://someone/math-classifier/model.bin", "language": str(local), "x": None})
    assert set(info) == {"classifier", "language"}
    assert info["classifier"]["revision"] == COMMIT and info["classifier"]["source"].startswith("hf://")
    assert info["language"] == {
        "source": str(local),
        "path": str(local),
        "revision": None,
        "sha256": hashlib.sha256(b"local lid").hexdigest(),
    }
