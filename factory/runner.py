"""Runs a recipe: stages -> datatrove executors -> output folder -> manifest and card."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from factory import provenance
from factory.funnel import compute_funnel, format_funnel
from factory.layout import OutputLayout
from factory.progress import StageProgress, with_taps
from factory.recipe import Recipe, RecipeError, load_recipe
from factory.shards import name_shards_by_content
from factory.stage import Stage
from pipelines import get_recipe


class BuildError(Exception):
    """A build that cannot go on; the message says what to do."""


class EmptyBuildError(BuildError):
    """The build finished and kept nothing (raised only with --fail-on-empty)."""


def list_inputs(recipe: Recipe) -> tuple[list[str], list[tuple[str, str]]]:
    """The input files (listed once: a remote listing is slow), or the problems that stop the build."""
    folder = recipe.input.folder
    if "://" not in folder and not Path(folder).exists():
        return [], [("input.path", f"no such file, folder or glob base: {recipe.input.path}")]
    try:
        files = provenance.list_input_files(recipe.input)
    except Exception as e:  # a remote location that cannot be listed: credentials, network, typo
        return [], [("input.path", f"cannot list {recipe.input.path}: {type(e).__name__}: {e}")]
    if not files:
        where = "input.path" if recipe.input.path != folder else "input.glob"
        return [], [(where, f"no files matching {recipe.input.glob_pattern!r} under {folder}")]
    return files, []


def make_executors(recipe: Recipe, stages: list[Stage], layout: OutputLayout) -> list:
    cfg, executors, previous = recipe.executor, [], None
    for stage in stages:
        logs = str(layout.logs(stage.name))
        pipeline = with_taps(stage.pipeline, layout.progress(stage.name))
        workers = stage.workers if stage.workers is not None else cfg.workers
        if cfg.type == "local" and stage.serves_model:
            workers = 1  # a model server per task would oversubscribe this machine's accelerators
        if cfg.type == "local":
            from datatrove.executor import LocalPipelineExecutor

            executor = LocalPipelineExecutor(
                pipeline,
                tasks=stage.tasks,
                workers=min(workers, stage.tasks) if workers > 0 else stage.tasks,
                logging_dir=logs,
            )
        elif cfg.type == "ray":
            from datatrove.executor.ray import RayPipelineExecutor

            executor = RayPipelineExecutor(
                pipeline,
                tasks=stage.tasks,
                workers=workers,
                logging_dir=logs,
                depends=previous,
                cpus_per_task=cfg.cpus_per_task,
                mem_per_cpu_gb=cfg.mem_per_cpu_gb,
                gpus_per_task=stage.gpus,
            )
        else:
            from datatrove.executor.slurm import SlurmPipelineExecutor

            executor = SlurmPipelineExecutor(
                pipeline,
                tasks=stage.tasks,
                workers=workers,
                time=cfg.time,
                partition=stage.partition or cfg.partition,
                gpus_per_task=stage.gpus,
                cpus_per_task=cfg.cpus_per_task,
                mem_per_cpu_gb=cfg.mem_per_cpu_gb,
                qos=cfg.qos or "normal",
                sbatch_args=cfg.sbatch_args or None,
                venv_path=cfg.venv_path,
                logging_dir=logs,
                job_name=f"{recipe.name}-{stage.name}",
                depends=previous,
                slurm_logs_folder=str(layout.work / "slurm_logs" / stage.name),
            )
        executors.append(executor)
        previous = executor
    return executors


def _init_ray(recipe: Recipe) -> None:
    import ray

    if not ray.is_initialized():
        if recipe.executor.address:
            ray.init(address=recipe.executor.address, log_to_driver=False)
        else:
            ray.init(num_cpus=recipe.executor.num_cpus, include_dashboard=False, log_to_driver=False)


def _changed(old: list[dict], new: list[dict], key: str) -> list[str]:
    """Names of entries added, removed, or differing in a field both records have (a sha256 only when verified)."""
    before, after = {e[key]: e for e in old}, {e[key]: e for e in new}

    def differs(a: dict | None, b: dict | None) -> bool:
        if a is None or b is None:
            return True
        return any(a[field] != b[field] for field in a.keys() & b.keys())

    return sorted(k for k in before.keys() | after.keys() if differs(before.get(k), after.get(k)))


def _check_same_build(layout: OutputLayout, record: dict, rebuild_changed: bool, log) -> None:
    """Resuming is only sound into a folder built from the same recipe (by hash: the executor may change),
    the same inputs and the same referenced files (models, prompts, benchmarks...)."""
    if not layout.build_record.exists():
        return
    old = json.loads(layout.build_record.read_text())
    if old.get("code") != record["code"]:
        log(
            f"warning: the factory's code changed since the build in {layout.root} started ({old.get('code')} -> "
            f"{record['code']}): completed tasks are not redone; --rebuild-changed starts from scratch"
        )
    if old["recipe_hash"] != record["recipe_hash"]:
        raise BuildError(
            f"{layout.root} holds a build of a different recipe (see its recipe.yaml): "
            "delete the folder or set another output.path"
        )
    changed = [f"input {p}" for p in _changed(old["inputs"], record["inputs"], "path")]
    changed += [f"{r} file" for r in _changed(old["referenced"], record["referenced"], "role")]
    if not changed and (old.get("code") == record["code"] or not rebuild_changed):
        return
    if not rebuild_changed:
        raise BuildError(
            f"these changed since the build in {layout.root} started: {', '.join(changed[:10])}"
            f"{' ...' if len(changed) > 10 else ''}; rerun with --rebuild-changed to start it again from scratch"
        )
    log(f"rebuilding {layout.root} from scratch: {', '.join(changed[:10]) or 'the code'} changed")
    layout.clear()


@contextlib.contextmanager
def _terminal_quiet(path: Path, verbose: bool):
    """Datatrove's own log lines go to `path` (the task logs keep everything), not to the user's terminal.

    Both the file descriptor (task processes inherit it) and `sys.stderr` (datatrove's in-process logger sink)
    point at the file while the executor runs.
    """
    if verbose:
        yield
        return
    from loguru import logger

    sys.stderr.flush()
    saved_fd, saved_stream = os.dup(2), sys.stderr
    with open(path, "a", encoding="utf-8") as sink:
        os.dup2(sink.fileno(), 2)
        sys.stderr = sink
        try:
            yield
        finally:
            sink.flush()
            sys.stderr = saved_stream
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            logger.remove()  # datatrove re-pointed loguru at the file being closed
            logger.add(sys.stderr, level="WARNING")


def build(
    recipe: Recipe,
    source: str,
    command: str,
    log=print,
    verbose: bool = False,
    fail_on_empty: bool = False,
    rebuild_changed: bool = False,
    verify_inputs: bool = False,
) -> OutputLayout | None:
    """Run `recipe` to completion (local, ray) or submit it (slurm). Rerunning resumes."""
    spec = get_recipe(recipe.recipe)
    files, problems = list_inputs(recipe)
    problems += spec.preflight(recipe)
    if problems:
        raise RecipeError(source, [(field, message, None) for field, message in problems])

    layout = OutputLayout(recipe.output.path)
    record = {
        "recipe_hash": recipe.hash(),
        "base_dir": os.getcwd(),  # relative paths in the recipe resolve against it, whoever finalizes
        "inputs": provenance.input_files(recipe.input, files, verify=verify_inputs),
        "referenced": provenance.referenced_entries(spec.referenced_files(recipe)),
        "code": provenance.code_version(),
    }
    _check_same_build(layout, record, rebuild_changed, log)
    if layout.build_record.exists():  # resuming: completed tasks ran with the code that started the build
        record["code"] = json.loads(layout.build_record.read_text()).get("code")
    stages = spec.build_stages(recipe, layout)
    record["stages"] = [{"name": s.name, "tasks": s.tasks} for s in stages]
    layout.work.mkdir(parents=True, exist_ok=True)
    layout.recipe.write_text(recipe.resolved_yaml(), encoding="utf-8")
    layout.build_record.write_text(json.dumps(record, indent=1), encoding="utf-8")
    (layout.work / "command.txt").write_text(command + "\n", encoding="utf-8")
    log(f"building {recipe.name} ({recipe.recipe}) from {len(record['inputs'])} input files into {layout.root}")

    executors = make_executors(recipe, stages, layout)
    if recipe.executor.type == "slurm":
        with _terminal_quiet(layout.work / "terminal.log", verbose):
            executors[-1].run()  # submits every stage, chained with depends=
        log(f"submitted {len(stages)} Slurm stages; when they finish run: factory finalize {layout.root}")
        return None
    if recipe.executor.type == "ray":
        _init_ray(recipe)

    timings_path = layout.work / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    for stage, executor in zip(stages, executors, strict=False):
        started = time.monotonic()
        try:
            with StageProgress(stage.name, layout.progress(stage.name), stage.tasks):
                with _terminal_quiet(layout.work / "terminal.log", verbose):
                    executor.run()
        except Exception as e:  # a task raised: datatrove kept what completed
            raise BuildError(
                f"stage {stage.name!r} failed: {type(e).__name__}: {e} (task logs in {layout.logs(stage.name)}/logs); "
                "fix the cause and rerun the same command to resume"
            ) from e
        timings[stage.name] = round(timings.get(stage.name, 0) + time.monotonic() - started, 3)
        timings_path.write_text(json.dumps(timings, indent=1))
        if incomplete := executor.get_incomplete_ranks(skip_completed=True):
            raise BuildError(
                f"stage {stage.name!r}: {len(incomplete)} of {stage.tasks} tasks failed (logs in "
                f"{layout.logs(stage.name)}/logs); rerun the same command to resume"
            )
    return finalize(layout, log=log, fail_on_empty=fail_on_empty)


def missing_ranks(layout: OutputLayout, stages: list[dict]) -> dict[str, list[int]]:
    """Per stage, the ranks that never marked themselves completed (datatrove's completions/ files)."""
    missing = {}
    for stage in stages:
        done = layout.logs(stage["name"]) / "completions"
        ranks = [r for r in range(stage["tasks"]) if not (done / f"{r:05d}").exists()]
        if ranks:
            missing[stage["name"]] = ranks
    return missing


def finalize(layout: OutputLayout, log=print, fail_on_empty: bool = False) -> OutputLayout:
    """Funnel, manifest and card for a finished build (called by `build`; by hand after a Slurm run).

    Independent of the working directory: relative paths resolve against the folder the build started in.
    """
    from factory.cards import write_card

    if not layout.build_record.exists():
        raise BuildError(f"{layout.root} has no {layout.build_record.name}: start it with `factory build` first")
    record = json.loads(layout.build_record.read_text())
    if missing := missing_ranks(layout, record["stages"]):
        detail = "; ".join(f"{name}: ranks {', '.join(map(str, ranks[:20]))}" for name, ranks in missing.items())
        raise BuildError(
            f"{layout.root} is not complete ({detail}): rerun the same `factory build` command (or wait for the "
            "Slurm jobs), then finalize"
        )
    with contextlib.chdir(record["base_dir"]):
        recipe = load_recipe(layout.recipe)
        spec = get_recipe(recipe.recipe)
        configs = spec.output_configs(recipe)
        for config in configs:
            name_shards_by_content(layout.data(config.name))
        funnel = compute_funnel([layout.logs(s["name"]) for s in record["stages"]], spec.funnel)
        outputs = provenance.output_files(layout.root)
        timings_path = layout.work / "timings.json"
        command_path = layout.work / "command.txt"
        inputs = record["inputs"]
        manifest = {
            "name": recipe.name,
            "recipe": recipe.recipe,
            "recipe_hash": recipe.hash(),
            "seed": recipe.seed,
            "command": command_path.read_text().strip() if command_path.exists() else None,
            "versions": provenance.versions(),
            "git": provenance.git_state(),
            "inputs": {"count": len(inputs), "hash": provenance.inputs_digest(inputs), "files": inputs},
            "referenced_files": record["referenced"],
            "models": spec.model_info(recipe),
            "llm": spec.llm_info(recipe),
            "funnel": funnel,
            "outputs": {"hash": provenance.digest_of(outputs), "files": outputs},
            "timings_s": json.loads(timings_path.read_text()) if timings_path.exists() else {},
        }
        provenance.write_manifest(layout.manifest, manifest)
        write_card(layout, recipe, manifest, spec)
    for line in format_funnel(funnel):
        log(line)
    log(
        f"card: {layout.card}\ndata: {layout.root / 'data'}\nmanifest: {layout.manifest}\n"
        f"quarantine: {layout.root / 'removed'}"
    )
    if sum(f.get("rows", 0) for f in outputs) == 0:
        message = (
            "the build kept nothing: 0 rows in data/ (see the funnel above and "
            f"{layout.root / 'removed'} for why each input was dropped)"
        )
        if fail_on_empty:
            raise EmptyBuildError(message)
        log(f"WARNING: {message}")
    if not funnel["adds_up"]:
        log("WARNING: the funnel does not add up (read != kept + dropped): see the stage logs under work/logs")
    return layout
