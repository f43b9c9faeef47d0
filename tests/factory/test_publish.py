"""Publishing, tested against a loopback HTTP server that records what the real huggingface_hub client sends."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_factory

TOKEN = "hf_testSECRETtoken0123456789abcdefghij"


class FakeHub(BaseHTTPRequestHandler):
    requests: list = []

    def log_message(self, *args):
        pass

    def _reply(self, status: int, payload, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.requests.append(("GET", self.path, {"Authorization": self.headers.get("Authorization")}, b""))
        if "/tree/" in self.path:  # the repo created a moment ago holds nothing yet
            self._reply(200, [])
        else:
            self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})  # as the Hub says

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append(("POST", self.path, {"Authorization": self.headers.get("Authorization")}, body))
        endpoint = f"http://{self.headers['Host']}"
        if self.path == "/api/repos/create":
            request = json.loads(body)
            repo = f"{request.get('organization')}/{request['name']}"
            self._reply(200, {"url": f"{endpoint}/datasets/{repo}", "name": repo})
        elif self.path == "/api/validate-yaml":
            self._reply(200, {"errors": [], "warnings": []})
        elif "/preupload/" in self.path:
            files = json.loads(body)["files"]
            self._reply(
                200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
            )
        elif "/commit/" in self.path:
            repo = self.path.split("/api/datasets/")[1].split("/commit/")[0]
            self._reply(
                200,
                {
                    "commitUrl": f"{endpoint}/datasets/{repo}/commit/{'a' * 40}",
                    "commitOid": "a" * 40,
                    "pullRequestUrl": None,
                },
            )
        else:
            self._reply(404, {"error": f"unexpected {self.path}"})


@pytest.fixture
def fake_hub():
    FakeHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHub.requests
    server.shutdown()


@pytest.fixture(scope="module")
def built(samples, classifier_model, tmp_path_factory):
    from conftest import recipe_writer

    tmp = tmp_path_factory.mktemp("publish")
    run_factory("build", recipe_writer(samples, classifier_model, tmp)(output=tmp / "out"))
    return tmp / "out"


def _env(endpoint: str | None, token: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update({"HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "0", "HF_HOME": "/nonexistent-hf-home"})
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    if token:
        env["HF_TOKEN"] = token
    return env


def test_dry_run_lists_every_publishable_file(built):
    result = run_factory("publish", built, "--repo-id", "me/math", "--dry-run", env=_env(None, None))
    lines = [line for line in result.stdout.splitlines() if " -> " in line]
    destinations = {line.split(" -> ")[1] for line in lines}
    assert "datasets/me/math/README.md" in destinations
    assert "datasets/me/math/assets/funnel.png" in destinations
    assert any(d.startswith("datasets/me/math/data/default/") for d in destinations)
    assert not any("manifest" in d or "removed/" in d or "work/" in d for d in destinations)


def test_upload_sends_exactly_the_publishable_files_and_never_prints_the_token(built, fake_hub):
    endpoint, requests = fake_hub
    result = run_factory("publish", built, "--repo-id", "me/math", "--private", env=_env(endpoint, TOKEN))
    assert TOKEN not in result.stdout + result.stderr
    create = next(r for r in requests if r[1] == "/api/repos/create")
    created = json.loads(create[3])
    visibility = created.get("visibility", "private" if created.get("private") else None)
    assert (created["name"], created["organization"], created["type"], visibility) == (
        "math",
        "me",
        "dataset",
        "private",
    )
    assert [r[1] for r in requests if r[2].get("Authorization") != f"Bearer {TOKEN}"] == []
    commit = next(r for r in requests if "/commit/" in r[1])
    ops = [json.loads(line) for line in commit[3].decode().splitlines() if line.strip()]
    uploaded = {op["value"]["path"]: base64.b64decode(op["value"]["content"]) for op in ops if op["key"] == "file"}
    expected = {
        p.relative_to(built).as_posix(): p.read_bytes()
        for p in [built / "README.md", *(built / "data").rglob("*.parquet"), *(built / "assets").glob("*")]
    }
    assert uploaded == expected
    assert TOKEN not in (built / "README.md").read_text() + (built / "manifest.json").read_text()


def test_upload_without_token_says_how_to_fix(built):
    result = run_factory("publish", built, "--repo-id", "me/math", env=_env("http://127.0.0.1:9", None), check=False)
    assert result.returncode == 1 and "HF_TOKEN" in result.stderr


def test_failed_upload_is_reported_without_the_token(built):
    # nothing listens on port 9: the client's error must not echo the token
    result = run_factory("publish", built, "--repo-id", "me/math", env=_env("http://127.0.0.1:9", TOKEN), check=False)
    assert result.returncode == 1
    assert TOKEN not in result.stdout + result.stderr
