"""One LLaMA-Factory SFT config per arm, identical except for the dataset, so the arms train the same way.

Defaults are labelled assumptions: MegaScience trains with LLaMA-Factory (their README points at
supervised_finetuning/training_config.yaml), but neither that file nor the hyper-parameter table of arXiv
2507.16812 was reachable when this was written; the values below are common full-SFT settings for 7-8B models,
to be replaced by the paper's when checked. Every value can be overridden in the recipe (`stages.training`).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ASSUMED_DEFAULTS = {
    "stage": "sft",
    "do_train": True,
    "finetuning_type": "full",
    "cutoff_len": 4096,
    "per_device_train_batch_size": 1,
    "gradient_accumulation_steps": 16,
    "learning_rate": 5.0e-6,
    "num_train_epochs": 3.0,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.05,
    "bf16": True,
    "logging_steps": 10,
    "save_strategy": "epoch",
    "overwrite_cache": True,
    "preprocessing_num_workers": 16,
}


def write_training_configs(
    folder: Path, data_root: Path, arms: list[str], training: dict, columns: dict
) -> list[Path]:
    """training/ARM.yaml per arm and the dataset_info.json LLaMA-Factory reads the arm datasets from."""
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        f"ablate_{arm}": {
            "file_name": f"../data/{arm}",  # relative to dataset_dir: nothing machine-specific in the card
            "formatting": "alpaca",
            "columns": {"prompt": columns["question"], "response": columns["response"]},
        }
        for arm in arms
    }
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    params = {**ASSUMED_DEFAULTS, **training["overrides"]}
    written = []
    for arm in arms:
        config = {
            "model_name_or_path": training["model"],
            "template": training["template"],
            "dataset": f"ablate_{arm}",
            "dataset_dir": "training",  # run llamafactory-cli from the build folder
            **params,
            "seed": training["seed"],
            "output_dir": f"{training['output_dir']}/{arm}",
        }
        path = folder / f"{arm}.yaml"
        path.write_text(
            "# LLaMA-Factory SFT config for arm "
            + arm
            + ": from the build folder, `llamafactory-cli train training/"
            + path.name
            + "`\n"
            "# defaults are assumptions, not verified against MegaScience's training_config.yaml (see the card)\n"
            + yaml.safe_dump(config, sort_keys=False),
            encoding="utf-8",
        )
        written.append(path)
    return written
