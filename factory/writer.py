"""The one way recipes write a published config: parquet shards with the config's declared schema."""

from __future__ import annotations

from datatrove.pipeline.writers.parquet import ParquetWriter

from factory.layout import OutputLayout
from factory.recipe_spec import OutputConfig

SHARD_TEMPLATE = "train-${rank}.parquet"  # finalize renames shards to carry their content hash (fresh loads)


def config_writer(layout: OutputLayout, config: OutputConfig, adapter) -> ParquetWriter:
    """A writer whose schema is declared, so a first row with a missing url or date cannot change it."""
    return ParquetWriter(
        str(layout.data(config.name)), output_filename=SHARD_TEMPLATE, adapter=adapter, schema=config.schema
    )
