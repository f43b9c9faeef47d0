"""Runs a recipe: stages -> datatrove executors -> output folder -> manifest and card."""

from __future__ import annotations

import json
import time
from pathlib import Path

from factory import provenance
from factory.funnel import compute_funnel, format_stage_progress, step_counters
from factory.layout import OutputLayout
from factory.recipe import Recipe, RecipeError, load_recipe
from factory.stage import Stage
from pipelines import get_recipe_module


class BuildError(Exception):
    """A build that cannot go on; the message says what to do."""


def input_problems(recipe: Recipe) -> list[tuple[str, str]]:
    root = Path(recipe.input.path)
    if not root.exists():
        return [("input.path", f"no such file or folder: {root}")]
    if not provenance.list_input_files(recipe.input):
        return [("input.glob", f"no files matching {recipe.input.glob_pattern!r} under {root}")]
    return []


def make_executors(recipe: Recipe, stages: list[Stage], layout: OutputLayout) -> list:
    cfg, executors, previous = recipe.executor, [], None
    for stage in stages:
        logs = str(layout.logs(stage.name))
        workers = stage.workers if stage.workers is not None else cfg.workers
        if cfg.type == "local" and stage.serves_model:
            workers = 1  # a model server per task would oversubscribe this machine's accelerators
        if cfg.type == "local":
            from datatrove.executor import LocalPipelineExecutor

            executor = LocalPipelineExecutor(
                stage.pipeline,
                tasks=stage.tasks,
                workers=min(workers, stage.tasks) if workers > 0 else stage.tasks,
                logging_dir=logs,
            )
        elif cfg.type == "ray":
            from datatrove.executor.ray import RayPipelineExecutor

            executor = RayPipelineExecutor(
                stage.pipeline,
                tasks=stage.tasks,
                workers=workers,
                logging_dir=logs,
                depends=previous,
                cpus_per_task=cfg.cpus_per_task,
                mem_per_cpu_gb=cfg.mem_per_cpu_gb,
            )
        else:
            from datatrove.executor.slurm import SlurmPipelineExecutor

            executor = SlurmPipelineExecutor(
                stage.pipeline,
                tasks=stage.tasks,
                workers=workers,
                time=cfg.time,
                partition=cfg.partition,
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


def _check_same_build(layout: OutputLayout, recipe: Recipe, inputs: list[dict]) -> None:
    """Resuming is only sound into a folder built from the same recipe (by hash: the executor may change)
    and the same inputs."""
    hash_file = layout.work / "recipe.sha256"
    if hash_file.exists() and hash_file.read_text().strip() != recipe.hash():
        raise BuildError(
            f"{layout.root} holds a build of a different recipe (see its recipe.yaml): "
            "delete the folder or set another output.path"
        )
    if layout.inputs_record.exists() and json.loads(layout.inputs_record.read_text()) != inputs:
        raise BuildError(
            f"the input files changed since the build in {layout.root} started: "
            "delete the folder to rebuild from the new inputs"
        )


def build(recipe: Recipe, source: str, command: str, log=print) -> OutputLayout | None:
    """Run `recipe` to completion (local, ray) or submit it (slurm). Rerunning resumes."""
    module = get_recipe_module(recipe.recipe)
    problems = input_problems(recipe) + module.preflight(recipe)
    if problems:
        raise RecipeError(source, [(field, message, None) for field, message in problems])

    layout = OutputLayout(recipe.output.path)
    inputs = provenance.input_files(recipe.input)
    _check_same_build(layout, recipe, inputs)
    layout.work.mkdir(parents=True, exist_ok=True)
    layout.recipe.write_text(recipe.resolved_yaml(), encoding="utf-8")
    (layout.work / "recipe.sha256").write_text(recipe.hash() + "\n")
    layout.inputs_record.write_text(json.dumps(inputs, indent=1), encoding="utf-8")
    (layout.work / "command.txt").write_text(command + "\n", encoding="utf-8")
    log(f"building {recipe.name} ({recipe.recipe}) from {len(inputs)} input files into {layout.root}")

    stages = module.build_stages(recipe, layout)
    executors = make_executors(recipe, stages, layout)
    if recipe.executor.type == "slurm":
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
        log(format_stage_progress(stage.name, step_counters([layout.logs(stage.name)]), module.FUNNEL))
    return finalize(layout, log=log)


def finalize(layout: OutputLayout, log=print) -> OutputLayout:
    """Funnel, manifest and card for a finished build (called by `build`; by hand after a Slurm run)."""
    from factory.cards import write_card

    recipe = load_recipe(layout.recipe)
    module = get_recipe_module(recipe.recipe)
    stage_logs = sorted(p for p in (layout.work / "logs").iterdir() if p.is_dir())
    funnel = compute_funnel(stage_logs, module.FUNNEL, module.DEFAULT_REASONS)
    if not funnel["adds_up"]:
        log("WARNING: the funnel does not add up (read != kept + dropped): some tasks may not have completed")
    inputs = json.loads(layout.inputs_record.read_text())
    outputs = provenance.output_files(layout.root)
    timings_path = layout.work / "timings.json"
    command_path = layout.work / "command.txt"
    manifest = {
        "name": recipe.name,
        "recipe": recipe.recipe,
        "recipe_hash": recipe.hash(),
        "seed": recipe.seed,
        "command": command_path.read_text().strip() if command_path.exists() else None,
        "versions": provenance.versions(),
        "git_commit": provenance.git_commit(),
        "inputs": {"count": len(inputs), "hash": provenance.digest_of(inputs), "files": inputs},
        "models": provenance.model_entries(module.model_files(recipe)),
        "llm": module.llm_info(recipe),
        "funnel": funnel,
        "outputs": {"hash": provenance.digest_of(outputs), "files": outputs},
        "timings_s": json.loads(timings_path.read_text()) if timings_path.exists() else {},
    }
    provenance.write_manifest(layout.manifest, manifest)
    write_card(layout, recipe, manifest, module)
    log(f"funnel: read {funnel['read']}, kept {funnel['kept']}, dropped {sum(funnel['dropped'].values())}")
    for stage in funnel["stages"]:
        dropped = ", ".join(f"{r} {n}" for r, n in stage["dropped"].items()) or "-"
        produced = f"  -> {stage['produced']} items" if "produced" in stage else ""
        log(f"  {stage['stage']:<16} read {stage['read']:>7}  kept {stage['kept']:>7}  dropped: {dropped}{produced}")
    log(
        f"card: {layout.card}\ndata: {layout.root / 'data'}\nmanifest: {layout.manifest}\n"
        f"quarantine: {layout.root / 'removed'}"
    )
    return layout
