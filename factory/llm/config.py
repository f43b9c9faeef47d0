"""The `llm:` block of an LLM stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from factory.recipe import StrictModel

Backend = Literal["rules", "vllm", "sglang", "endpoint", "transformers"]
# settings that change how a build runs, never what it produces: Recipe.hash() skips them, so raising a
# timeout or the concurrency does not refuse the resume of a build
NOT_DATA = {"hash": False}
# sampling settings that model servers would otherwise take from the model's generation_config.json
NEUTRAL_SAMPLING = {"top_k": -1, "min_p": 0.0, "repetition_penalty": 1.0}


class LLMConfig(StrictModel):
    """Which model answers a stage's prompts, and how.

    `vllm` / `sglang`: datatrove spawns the server on this node's GPUs (tp/dp/pp). `endpoint`: any
    OpenAI-compatible URL; the API key is read from the environment variable named in `api_key_env`
    when the task starts, never stored. `transformers`: our small OpenAI-compatible server around a
    local HF model, on CPU or CUDA. `rules`: the deterministic method, where the stage has one.

    A request that fails for a reason outside the document (server start, transport, 401/403, 429 or
    5xx after `retries` with backoff, timeouts) fails the task: the rank is marked incomplete and
    rerunning the build retries it. Only bad completions (truncated, unparseable, refused) and prompts
    longer than the model's context are quarantined.
    """

    backend: Backend = "rules"
    model: str | None = None
    revision: str | None = None
    endpoint_url: str | None = Field(None, json_schema_extra=NOT_DATA)  # where, not which model: `model` says that
    api_key_env: str | None = Field(None, json_schema_extra=NOT_DATA)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    tp: int = Field(1, ge=1)
    dp: int = Field(1, ge=1)
    pp: int = Field(1, ge=1)
    temperature: float = Field(0.0, ge=0)  # MegaScience extracted at temperature 0
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(2048, ge=1)
    max_context: int = Field(8192, ge=256)
    prompt: str | None = None  # prompt file; default: the recipe's own prompt for the stage
    # how it runs, not what it produces
    max_concurrent: int = Field(64, ge=1, json_schema_extra=NOT_DATA)
    request_timeout: float = Field(600, gt=0, json_schema_extra=NOT_DATA)  # seconds per attempt
    retries: int = Field(5, ge=0, json_schema_extra=NOT_DATA)  # transport errors, timeouts, 429 and 5xx
    retry_backoff_s: float = Field(2.0, ge=0, json_schema_extra=NOT_DATA)  # doubled each retry, at most 60 s
    server_start_timeout: float = Field(600, gt=0, json_schema_extra=NOT_DATA)
    batch_size: int = Field(8, ge=1, json_schema_extra=NOT_DATA)  # transformers: requests generated together
    gpus: int | None = Field(None, ge=0, json_schema_extra=NOT_DATA)  # per task; None: see gpus_per_task
    partition: str | None = Field(None, json_schema_extra=NOT_DATA)  # Slurm partition of this stage's tasks

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

    @property
    def gpus_per_task(self) -> int:
        """GPUs a task of this stage asks Slurm/Ray for: `gpus` if set, else what the server uses."""
        if self.gpus is not None:
            return self.gpus
        if self.backend in ("vllm", "sglang"):
            return self.tp * self.pp * self.dp
        if self.backend == "transformers" and self.device != "cpu":
            return 1
        return 0

    def generation_params(self) -> dict:
        """Sent with every request. top_k/min_p/repetition_penalty go explicitly as off, so a server cannot
        apply the model's generation_config.json defaults unrecorded; endpoints get only OpenAI's parameters."""
        params = {"temperature": self.temperature, "max_tokens": self.max_tokens, "top_p": self.top_p}
        if self.backend != "endpoint":  # OpenAI's API refuses parameters it does not know
            params.update(NEUTRAL_SAMPLING)
        return params
