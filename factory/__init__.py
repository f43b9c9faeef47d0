"""dataset-factory: reproducible LLM dataset recipes on datatrove, published with a rebuildable card."""

__version__ = "0.1.0"
