"""A stage: one datatrove executor's worth of pipeline steps."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep


@dataclass
class Stage:
    """Steps that run as one executor with `tasks` ranks; stages run in order, each depending on the last."""

    name: str
    pipeline: list[PipelineStep]
    tasks: int
    workers: int | None = None  # None: the recipe's executor.workers
    serves_model: bool = False  # each task starts a model server: on one machine, one task at a time
    gpus: int = 0  # per task, asked of Slurm (--gpus) and Ray (num_gpus)
    partition: str | None = None  # Slurm partition for this stage; None: the executor's
