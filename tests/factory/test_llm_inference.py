import pytest
from datatrove.data import Document

from factory.llm.config import LLMConfig
from factory.llm.inference import inference_config, load_prompt, render_prompt, request_seed


def test_request_seeds_depend_on_recipe_seed_and_document_only():
    assert request_seed(0, "a") == request_seed(0, "a")
    assert len({request_seed(0, "a"), request_seed(1, "a"), request_seed(0, "b")}) == 3


def test_prompts_render_placeholders_and_keep_latex_braces(tmp_path):
    doc = Document(
        text="Solve $x^{2}=4$.",
        id="1",
        metadata={"answer": "\\boxed{2}", "subject": "math", "benchmark_neighbours": ["a?", "b?"]},
    )
    out = render_prompt("{subject}: {question} / {answer}\n{neighbours}", doc)
    assert out == "math: Solve $x^{2}=4$. / \\boxed{2}\n1. a?\n2. b?"
    bad = tmp_path / "p.txt"
    bad.write_text("no placeholder")
    with pytest.raises(ValueError, match="placeholders"):
        load_prompt(bad)


def test_backends_map_to_datatrove_server_types():
    assert inference_config(LLMConfig(backend="vllm", model="m", tp=4)).server_type == "vllm"
    assert inference_config(LLMConfig(backend="vllm", model="m", tp=4)).tp == 4
    endpoint = inference_config(LLMConfig(backend="endpoint", model="m", endpoint_url="http://x/v1", api_key_env="K"))
    assert endpoint.server_type == "endpoint" and endpoint.api_key is None
    custom = inference_config(LLMConfig(backend="transformers", model="/m", device="cuda", batch_size=4))
    assert custom.server_type == "custom" and custom.model_kwargs["device"] == "cuda"
    assert custom.model_kwargs["server_script"].endswith("transformers_server.py")
    with pytest.raises(ValueError, match="endpoint_url"):
        LLMConfig(backend="endpoint", model="m")
