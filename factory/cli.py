"""`factory`: build a recipe, finalize a Slurm build, train the math classifier, publish to the Hub.

Exit codes: 0 done, 1 the build or upload failed (rerun resumes), 2 the recipe or the command line is wrong,
3 the build kept nothing and `--fail-on-empty` was given.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import yaml


def _build(args) -> int:
    from factory.recipe import load_recipe
    from factory.runner import build

    recipe = load_recipe(args.recipe, args.set)
    command = shlex.join(["factory", "build", args.recipe] + [f"--set={s}" for s in args.set])
    build(
        recipe,
        args.recipe,
        command,
        verbose=args.verbose,
        fail_on_empty=args.fail_on_empty,
        rebuild_changed=args.rebuild_changed,
        verify_inputs=args.verify_inputs,
    )
    return 0


def _finalize(args) -> int:
    from factory.layout import OutputLayout
    from factory.runner import finalize

    layout = OutputLayout(args.output)
    if not layout.recipe.is_file():
        print(f"error: {layout.root} has no recipe.yaml: not a build folder", file=sys.stderr)
        return 2
    finalize(layout, fail_on_empty=args.fail_on_empty)
    return 0


def _train_classifier(args) -> int:
    from factory.train_classifier import TrainParams, load_folders, load_jsonl, resolve_preset, train

    if bool(args.input) == bool(args.math_dir or args.other_dir) or bool(args.math_dir) != bool(args.other_dir):
        print("error: give --input LABELLED.jsonl, or both --math-dir and --other-dir", file=sys.stderr)
        return 2
    if not 0 <= args.held_out < 1:
        print(f"error: --held-out {args.held_out} is not a fraction in [0, 1)", file=sys.stderr)
        return 2
    try:
        docs = load_jsonl(Path(args.input)) if args.input else load_folders(Path(args.math_dir), Path(args.other_dir))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    flags = ("dim", "lr", "word_ngrams", "min_count", "epoch", "bucket", "chunk_words")
    explicit = {k: getattr(args, k) for k in flags if getattr(args, k) is not None}
    try:
        params = resolve_preset(
            TrainParams(preset=args.preset, seed=args.seed, held_out=args.held_out, threshold=args.threshold),
            len(docs),
            set(explicit),
        )
        params = TrainParams(**{**params.__dict__, **explicit})
        note = (
            "demo model trained on synthetic sample documents written by samples/make_samples.py; not for real corpora"
            if args.demo
            else None
        )
        card = train(docs, Path(args.output), params, note=note)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"trained on {card['train_documents']} documents (preset {params.preset})")
    m = card["held_out"]
    if m is None:
        print("no held-out split (--held-out 0): no metrics")
    else:
        area = "n/a (one label only)" if m["auc"] is None else f"{m['auc']:.3f}"
        print(
            f"held-out {m['documents']} documents ({m['math']} math): AUC {area}; at threshold {m['threshold']:.4f} "
            f"({m['threshold_chosen_on']}): precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}"
        )
    print(f"model: {args.output}\nmodel card: {Path(args.output).with_suffix('.json')}")
    if problem := card["degenerate"]:
        if problem.startswith("constant"):
            print(f"error: degenerate model: {problem}", file=sys.stderr)
            return 1
        print(f"warning: weak model: {problem}", file=sys.stderr)
    return 0


def _publish(args) -> int:
    from factory.layout import OutputLayout
    from factory.publish import plan, publish

    layout = OutputLayout(args.output)
    private = args.private
    if private is None:  # the recipe's publish.private (default: private)
        private = yaml.safe_load(layout.recipe.read_text()).get("publish", {}).get("private", True)
    repo_id = args.repo_id or yaml.safe_load(layout.recipe.read_text()).get("publish", {}).get("repo_id")
    if not repo_id:
        print("error: give --repo-id OWNER/NAME or set publish.repo_id in the recipe", file=sys.stderr)
        return 2
    if args.dry_run:
        for local, destination in plan(layout, repo_id):
            print(f"{local} -> {destination}")
        print(f"(dry run: {repo_id}, {'private' if private else 'public'}; nothing uploaded)")
        return 0
    publish(layout, repo_id, private, change_visibility=args.change_visibility)
    return 0


def _ablate(args) -> int:
    """`factory ablate X` is `factory build X` for a recipe whose `recipe:` is `ablate`."""
    try:
        name = (yaml.safe_load(Path(args.recipe).read_text(encoding="utf-8")) or {}).get("recipe")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None  # load_recipe reports it with the file, field and line
    if name is not None and name != "ablate":
        print(f"error: {args.recipe} is a {name!r} recipe; `factory ablate` runs `recipe: ablate`", file=sys.stderr)
        return 2
    return _build(args)


def _score(args) -> int:
    from factory.score.scoring import format_summary, score_file

    if not Path(args.file).is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    summary = score_file(
        args.file,
        args.out,
        args.prediction_key,
        args.gold_key,
        args.group_key,
        args.task,
        options_key=args.options_key,
        judgement_key=args.judgement_key,
        rel_tol=args.rel_tol,
    )
    print(format_summary(summary))
    print(f"scored rows: {Path(args.out) / 'scored.jsonl'}\nsummary: {Path(args.out) / 'summary.json'}")
    return 0


def _build_options(command: argparse.ArgumentParser) -> None:
    """The options `build` and `ablate` share."""
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe field, e.g. --set stages.language.threshold=0.7",
    )
    command.add_argument("--verbose", action="store_true", help="show datatrove's own log lines on the terminal too")
    command.add_argument("--fail-on-empty", action="store_true", help="exit 3 when the build keeps nothing")
    command.add_argument(
        "--rebuild-changed",
        action="store_true",
        help="when inputs or referenced files (models, prompts, benchmarks) changed since the build started, "
        "start again from scratch instead of refusing",
    )
    command.add_argument(
        "--verify-inputs",
        action="store_true",
        help="detect changed inputs by sha256 of their content (default: size and modification time)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="factory", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="run a recipe (rerun the same command to resume)")
    b.add_argument("recipe", help="recipe YAML file")
    _build_options(b)
    b.set_defaults(func=_build)

    f = sub.add_parser("finalize", help="write manifest and card of a finished build (after Slurm)")
    f.add_argument("output")
    f.add_argument("--fail-on-empty", action="store_true", help="exit 3 when the build kept nothing")
    f.set_defaults(func=_finalize)

    t = sub.add_parser("train-classifier", help="train the fastText math classifier")
    t.add_argument("--input", help="JSONL with 'text' and 'label' (math / non_math)")
    t.add_argument("--math-dir", help="folder of math documents")
    t.add_argument("--other-dir", help="folder of non-math documents")
    t.add_argument("--output", required=True, help="model path (.bin); a .json model card is written beside it")
    t.add_argument(
        "--preset",
        choices=["auto", "small", "deepseekmath"],
        default="auto",
        help="hyper-parameters: small (seed sets of tens to thousands of pages), deepseekmath (millions); "
        "auto picks small under 10,000 documents; the flags below override single values",
    )
    t.add_argument("--dim", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--word-ngrams", type=int)
    t.add_argument("--min-count", type=int)
    t.add_argument("--epoch", type=int)
    t.add_argument("--bucket", type=int, help="word n-gram hash buckets; 0: sized to the seed set (small preset)")
    t.add_argument("--chunk-words", type=int, help="train on chunks of this many words (0: whole documents)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--held-out", type=float, default=0.2, help="fraction held out for metrics; 0: none")
    t.add_argument("--threshold", type=float, help="report metrics at this threshold instead of the best F1 one")
    t.add_argument("--demo", action="store_true", help="mark the model card as a demo model")
    t.set_defaults(func=_train_classifier)

    u = sub.add_parser("publish", help="upload README.md, data/ and assets/ to a Hub dataset repo")
    u.add_argument("output", help="build folder")
    u.add_argument("--repo-id", help="OWNER/NAME (default: the recipe's publish.repo_id)")
    visibility = u.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="private", action="store_true", default=None)
    visibility.add_argument("--public", dest="private", action="store_false")
    u.add_argument(
        "--change-visibility", action="store_true", help="allow changing an existing repo's visibility to match"
    )
    u.add_argument("--dry-run", action="store_true", help="list every file and its destination, upload nothing")
    u.set_defaults(func=_publish)

    a = sub.add_parser("ablate", help="cut one pool into equal-size arms (a `recipe: ablate` build)")
    a.add_argument("recipe", help="recipe YAML file with `recipe: ablate`")
    _build_options(a)
    a.set_defaults(func=_ablate)

    s = sub.add_parser("score", help="extract answers MegaScience's way and score them against gold answers")
    s.add_argument("file", help="JSONL or parquet of predictions")
    s.add_argument("--prediction-key", required=True)
    s.add_argument("--gold-key", required=True)
    s.add_argument("--group-key", help="accuracy per value of this field (e.g. benchmark)")
    s.add_argument("--task", choices=["auto", "mc", "math"], default="auto", help="auto: mc when the gold is a letter")
    s.add_argument("--options-key", help="field with the option texts (multiple choice, matched when no letter)")
    s.add_argument("--judgement-key", help="a stored correctness field to report agreement with")
    s.add_argument("--rel-tol", type=float, help="relative tolerance for numbers (SciBench: 0.05); default 1e-3 abs")
    s.add_argument("--out", required=True, help="folder for scored.jsonl and summary.json")
    s.set_defaults(func=_score)
    return p


def main(argv: list[str] | None = None) -> int:
    from factory.publish import PublishError
    from factory.recipe import RecipeError
    from factory.runner import BuildError, EmptyBuildError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except RecipeError as e:
        print(str(e), file=sys.stderr)
        return 2
    except EmptyBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (BuildError, PublishError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
