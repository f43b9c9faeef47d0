"""Peak memory of a math_web build on 1x and 10x the sample crawl (goal: flat, the pipeline streams).

Usage: python bench/memory.py MODEL.bin
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from _common import ROOT


def peak_rss_mb(recipe: Path) -> float:
    """Largest resident set of the build or any of its processes (ru_maxrss of waited-for children)."""
    factory = Path(sys.executable).parent / "factory"
    subprocess.run([str(factory), "build", str(recipe)], check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "samples"))
    from make_samples import write_samples

    tmp = Path(tempfile.mkdtemp())
    write_samples(tmp / "samples")
    results = {}
    for factor in (1, 10):
        web = tmp / f"web{factor}"
        web.mkdir()
        for copy in range(factor):
            for warc in (tmp / "samples" / "web").glob("crawl-0000[01].warc.gz"):
                shutil.copy(warc, web / f"{copy:03d}-{warc.name}")
        recipe = yaml.safe_load((ROOT / "pipelines" / "math_web.yaml").read_text())
        recipe["input"]["path"] = str(web)
        recipe["executor"] = {"type": "local", "tasks": 1, "workers": 1}
        recipe["stages"]["url"]["blocklist_file"] = str(ROOT / "samples" / "blocklist.txt")
        recipe["stages"]["classifier"]["model"] = args.model
        recipe["stages"]["decontamination"]["benchmarks"][0]["path"] = str(
            tmp / "samples" / "benchmarks" / "gsm8k_sample.jsonl"
        )
        recipe["output"]["path"] = str(tmp / f"out{factor}")
        path = tmp / f"recipe{factor}.yaml"
        path.write_text(yaml.safe_dump(recipe))
        # each build in a fresh interpreter so ru_maxrss is its own
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import memory; "
            f"print(memory.peak_rss_mb(__import__('pathlib').Path({str(path)!r})))"
        )
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        results[factor] = float(out.stdout.strip().splitlines()[-1])
        print(f"{factor:>3}x input: peak RSS {results[factor]:7.1f} MB")
    print(f"ratio 10x / 1x: {results[10] / results[1]:.2f}  (goal: flat, ~1.0)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
