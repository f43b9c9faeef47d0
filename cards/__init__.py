"""Dataset card templates (Jinja2), rendered with huggingface_hub.DatasetCard by factory.cards."""
