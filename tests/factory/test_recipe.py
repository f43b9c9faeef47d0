import pytest
import yaml

from factory.recipe import RecipeError, load_recipe, parse_override


def test_valid_recipe_fills_defaults(make_recipe):
    recipe = load_recipe(make_recipe())
    assert recipe.stages.language.threshold == 0.65
    assert (recipe.stages.dedup.num_buckets, recipe.stages.dedup.hashes_per_bucket) == (11, 10)
    assert recipe.stages.decontamination.n_grams == 13
    assert recipe.executor.type == "local"


def test_unknown_key_names_file_field_and_line(make_recipe, tmp_path):
    path = make_recipe()
    text = path.read_text().replace("threshold: 0.4", "threshold: 0.4\n    treshold: 0.5")
    path.write_text(text)
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    message = str(err.value)
    assert str(path) in message
    assert "stages.classifier.treshold" in message
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "treshold" in row)
    assert f"(line {line})" in message


def test_wrong_type_and_missing_input(make_recipe, tmp_path):
    path = make_recipe()
    data = yaml.safe_load(path.read_text())
    data["stages"]["language"] = {"threshold": "high"}
    del data["input"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    fields = [p[0] for p in err.value.problems]
    assert "stages.language.threshold" in fields
    assert "input" in fields
    assert "'high'" in str(err.value)


def test_unknown_recipe_lists_known(make_recipe):
    with pytest.raises(RecipeError, match="math_web"):
        load_recipe(make_recipe(recipe="mathweb"))


def test_overrides_are_typed(make_recipe):
    recipe = load_recipe(
        make_recipe(), ["stages.language.threshold=0.8", "executor.tasks=3", "stages.dedup.enabled=false"]
    )
    assert recipe.stages.language.threshold == 0.8
    assert recipe.executor.tasks == 3
    assert recipe.stages.dedup.enabled is False
    with pytest.raises(RecipeError, match="--set"):
        load_recipe(make_recipe(), ["stages.language.threshold"])
    assert parse_override("a.b=[x, y]") == (["a", "b"], ["x", "y"])


def test_slurm_needs_partition(make_recipe):
    with pytest.raises(RecipeError, match="partition"):
        load_recipe(make_recipe(executor={"type": "slurm", "tasks": 2}))


def test_hash_ignores_output_location_only(make_recipe, tmp_path):
    a = load_recipe(make_recipe(output=tmp_path / "a"))
    b = load_recipe(make_recipe(output=tmp_path / "b"))
    c = load_recipe(make_recipe(output=tmp_path / "a"), ["seed=1"])
    assert a.hash() == b.hash()
    assert a.hash() != c.hash()
    assert yaml.safe_load(a.resolved_yaml())["stages"]["language"]["threshold"] == 0.65


def test_hash_ignores_executor_kind_but_not_shard_count(make_recipe):
    local = load_recipe(make_recipe())
    ray = load_recipe(make_recipe(), ["executor.type=ray", "executor.workers=4"])
    more_shards = load_recipe(make_recipe(), ["executor.tasks=3"])
    assert local.hash() == ray.hash() != more_shards.hash()


def test_embedding_decontamination_needs_an_embedding_model_and_a_judge(tmp_path):
    path = tmp_path / "tb.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "recipe": "textbook_qa",
                "name": "tb",
                "input": {"path": str(tmp_path), "format": "pdf"},
                "stages": {"decontamination": {"mode": "embedding", "embedding_model": "/m"}},
                "output": {"path": str(tmp_path / "out")},
            }
        )
    )
    with pytest.raises(RecipeError, match="judge") as err:
        load_recipe(path)
    assert err.value.problems[0][0] == "stages.decontamination"
