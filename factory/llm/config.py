"""The `llm:` block of an LLM stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from factory.recipe import StrictModel

Backend = Literal["rules", "vllm", "sglang", "endpoint", "transformers"]


class LLMConfig(StrictModel):
    """Which model answers a stage's prompts, and how.

    `vllm` / `sglang`: datatrove spawns the server on this node's GPUs (tp/dp/pp). `endpoint`: any
    OpenAI-compatible URL; the API key is read from the environment variable named in `api_key_env`
    when the task starts, never stored. `transformers`: our small OpenAI-compatible server around a
    local HF model, on CPU or CUDA. `rules`: the deterministic method, where the stage has one.
    """

    backend: Backend = "rules"
    model: str | None = None
    revision: str | None = None
    endpoint_url: str | None = None
    api_key_env: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    tp: int = Field(1, ge=1)
    dp: int = Field(1, ge=1)
    pp: int = Field(1, ge=1)
    temperature: float = Field(0.0, ge=0)  # MegaScience extracted at temperature 0
    max_tokens: int = Field(2048, ge=1)
    max_context: int = Field(8192, ge=256)
    max_concurrent: int = Field(64, ge=1)
    request_timeout: float = Field(600, gt=0)  # seconds per request, then the item is quarantined
    batch_size: int = Field(8, ge=1)  # transformers backend: requests generated together
    prompt: str | None = None  # prompt file; default: the recipe's own prompt for the stage

    @model_validator(mode="after")
    def _needs(self):
        if self.backend != "rules" and not self.model:
            raise ValueError(f"backend {self.backend!r} needs llm.model")
        if self.backend == "endpoint" and not self.endpoint_url:
            raise ValueError("backend 'endpoint' needs llm.endpoint_url")
        return self

    @property
    def uses_model(self) -> bool:
        return self.backend != "rules"

    def generation_params(self) -> dict:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}
