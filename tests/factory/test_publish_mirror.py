"""Publishing into a repo that already exists: the repo mirrors the build, and visibility never flips silently."""

import json
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_factory
from test_publish import TOKEN, FakeHub, _env

sys.path.insert(0, str(Path(__file__).parent))
from test_engine import toy, write_inputs, write_recipe  # noqa: E402, F401  (toy: the autouse registration)

from factory.cli import main  # noqa: E402


class ExistingRepoHub(FakeHub):
    """The fake Hub, holding one dataset repo with a stale shard from an earlier build."""

    private = False
    files = ["README.md", "data/default/train-00000-000-0123456789ab.parquet", ".gitattributes"]

    def do_GET(self):
        self.requests.append(("GET", self.path, {"Authorization": self.headers.get("Authorization")}, b""))
        path = self.path.split("?")[0]
        if "/tree/" in path:
            self._reply(200, [{"type": "file", "path": p, "oid": "b" * 40, "size": 1} for p in self.files])
        elif path.startswith("/api/datasets/me/toy"):
            self._reply(
                200,
                {
                    "id": "me/toy",
                    "private": self.private,
                    "sha": "a" * 40,
                    "siblings": [{"rfilename": p} for p in self.files],
                },
            )
        else:
            self._reply(404, {"error": "not found"})

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append(("PUT", self.path, {"Authorization": self.headers.get("Authorization")}, body))
        self._reply(200, {})


@pytest.fixture
def existing_hub():
    FakeHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ExistingRepoHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHub.requests
    server.shutdown()


@pytest.fixture
def built(tmp_path):
    assert main(["build", str(write_recipe(tmp_path, write_inputs(tmp_path / "in")))]) == 0
    return tmp_path / "out"


def _commit_ops(requests) -> list[dict]:
    commit = next(r for r in requests if "/commit/" in r[1])
    return [json.loads(line) for line in commit[3].decode().splitlines() if line.strip()]


def test_stale_shards_are_deleted_in_the_same_commit(built, existing_hub):
    endpoint, requests = existing_hub
    run_factory("publish", built, "--repo-id", "me/toy", "--public", env=_env(endpoint, TOKEN))
    ops = _commit_ops(requests)
    deleted = {op["value"]["path"] for op in ops if op["key"] == "deletedFile"}
    uploaded = {op["value"]["path"] for op in ops if op["key"] == "file"}
    assert deleted == {"data/default/train-00000-000-0123456789ab.parquet"}  # not README.md: it is uploaded again
    assert "README.md" in uploaded and any(p.startswith("data/default/") for p in uploaded)
    assert not any(r[1] == "/api/repos/create" for r in requests)


def test_a_visibility_mismatch_is_an_error_unless_confirmed(built, existing_hub):
    endpoint, requests = existing_hub
    result = run_factory("publish", built, "--repo-id", "me/toy", env=_env(endpoint, TOKEN), check=False)
    assert result.returncode == 1  # the recipe's default is private; the repo is public
    assert "exists and is public" in result.stderr and "--change-visibility" in result.stderr
    assert not any("/commit/" in r[1] for r in requests)
    run_factory("publish", built, "--repo-id", "me/toy", "--private", "--change-visibility", env=_env(endpoint, TOKEN))
    settings = next(r for r in requests if r[0] == "PUT")
    body = json.loads(settings[3])
    assert body.get("private") is True or body.get("visibility") == "private", body
    assert any("/commit/" in r[1] for r in requests)
