from datatrove.pipeline.base import PipelineStep

from factory.cli import main


class Boom(PipelineStep):
    name = "boom"

    def run(self, data, rank=0, world_size=1):
        for _ in data:
            raise RuntimeError("disk full")
        yield from ()


def test_a_failed_task_is_an_error_that_names_the_logs_and_the_fix(make_recipe, monkeypatch, capsys):
    import dataclasses

    from pipelines import math_web

    original = math_web.RECIPE

    def broken(recipe, layout):
        stages = original.build_stages(recipe, layout)
        stages[0].pipeline.insert(2, Boom())
        return stages

    monkeypatch.setattr(math_web, "RECIPE", dataclasses.replace(original, build_stages=broken))
    recipe = make_recipe()
    assert main(["build", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert "stage 'filter' failed" in err and "disk full" in err and "rerun the same command" in err
    # the cause fixed, the same command resumes and finishes
    monkeypatch.setattr(math_web, "RECIPE", original)
    assert main(["build", str(recipe)]) == 0


def test_switching_executor_on_resume_is_allowed_but_not_changing_the_recipe(make_recipe, capsys):
    recipe = make_recipe()
    assert main(["build", str(recipe)]) == 0
    assert main(["build", str(recipe), "--set", "executor.workers=2"]) == 0
    assert main(["build", str(recipe), "--set", "seed=3"]) == 1
    assert "different recipe" in capsys.readouterr().err
