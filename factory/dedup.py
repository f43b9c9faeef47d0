"""MinHash near-dedup as datatrove's four passes, wrapped around a recipe's own steps."""

from __future__ import annotations

from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupSignature,
)
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.text import TextNormConfig
from pydantic import Field

from factory.chain import chain
from factory.layout import OutputLayout
from factory.readers import RankShardReader
from factory.recipe import StrictModel
from factory.stage import Stage
from filters.near_dedup import NearDuplicateFilter


class MinHashStage(StrictModel):
    """The `dedup:` block; defaults are MegaMath's (11 buckets x 10 hashes, 5-grams: ~0.79 Jaccard).

    `normalize_numbers` is datatrove's text normalisation before shingling (every number -> "0"): right for
    web pages that differ only in dates or counters, wrong for exercises that differ only in their numbers.
    """

    enabled: bool = True
    n_grams: int = Field(5, ge=1)
    num_buckets: int = Field(11, ge=1)
    hashes_per_bucket: int = Field(10, ge=1)
    normalize_numbers: bool = True

    def config(self, seed: int) -> MinhashConfig:
        return MinhashConfig(
            n_grams=self.n_grams,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=seed,
            norm_config=TextNormConfig(norm_numbers=self.normalize_numbers),
        )


def minhash_stages(
    before: list, after: list, layout: OutputLayout, tasks: int, config: MinhashConfig, quarantine
) -> list[Stage]:
    """`before` -> signatures | buckets | clusters | reload -> drop duplicates -> `after`.

    `before` and `after` may hold LLM rounds (see `factory.chain`). The documents that reach the
    signature pass are kept on disk per rank and reread by the same rank, since the removal ids are
    per-rank document indices.
    """
    kept, signatures = layout.scratch("dedup_input"), layout.scratch("minhash/signatures")
    buckets, remove_ids = layout.scratch("minhash/buckets"), layout.scratch("minhash/remove_ids")
    return [
        *chain(
            "filter",
            [
                *before,
                JsonlWriter(str(kept), output_filename="${rank}.jsonl.gz"),
                MinhashDedupSignature(output_folder=str(signatures), config=config),
            ],
            layout,
            tasks,
            config.seed,
        ),
        Stage(
            "dedup-buckets", [MinhashDedupBuckets(str(signatures), str(buckets), config=config)], config.num_buckets
        ),
        Stage("dedup-cluster", [MinhashDedupCluster(str(buckets), str(remove_ids), config=config)], 1),
        *chain(
            "write",
            [
                RankShardReader(str(kept)),
                NearDuplicateFilter(str(remove_ids), exclusion_writer=quarantine("dedup")),
                *after,
            ],
            layout,
            tasks,
            config.seed,
        ),
    ]
