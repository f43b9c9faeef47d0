"""The sample math_web recipe on a real single-node Slurm cluster gives the local build's exact output.

Runs where a cluster can be started (root, slurm-wlm and munge installed: `.ci/run` installs them); skipped
elsewhere with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import recipe_writer, run_factory

SCRIPTS = Path(__file__).resolve().parent.parent / "slurm"
pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not (shutil.which("slurmctld") and shutil.which("slurmd") and shutil.which("munged")):
        pytest.skip("Slurm is not installed (apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        pytest.skip("starting a Slurm cluster here needs root")
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run([str(SCRIPTS / "start_cluster.sh"), str(state)], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.skip(f"could not start a single-node Slurm cluster: {started.stderr[-500:]}")
    env = {**os.environ, "SLURM_CONF": str(state / "slurm.conf")}
    yield started.stdout.strip(), env
    subprocess.run([str(SCRIPTS / "stop_cluster.sh"), str(state)])


def _hashes(out: Path) -> tuple:
    manifest = json.loads((out / "manifest.json").read_text())
    return manifest["recipe_hash"], manifest["inputs"]["hash"], manifest["outputs"]["hash"]


def test_slurm_build_then_finalize_equals_the_local_build(cluster, samples, classifier_model, tmp_path):
    partition, env = cluster
    make = recipe_writer(samples, classifier_model, tmp_path)
    local = make("local.yaml", output=tmp_path / "local")
    run_factory("build", local)
    venv = Path(sys.executable).parent / "activate"
    slurm = make(
        "slurm.yaml",
        output=tmp_path / "slurm",
        executor={"type": "slurm", "tasks": 2, "partition": partition, "time": "00:20:00", "venv_path": str(venv)},
    )
    submitted = run_factory("build", slurm, env=env)
    assert "factory finalize" in submitted.stdout
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h"], capture_output=True, text=True, env=env).stdout
        if not queue.strip():
            break
        time.sleep(2)
    run_factory("finalize", tmp_path / "slurm", env=env)
    assert _hashes(tmp_path / "slurm") == _hashes(tmp_path / "local")
