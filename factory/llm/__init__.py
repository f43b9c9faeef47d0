"""LLM backends for recipe stages, all through datatrove's InferenceRunner (rules aside)."""
