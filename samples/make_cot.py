"""Write the cot_prune demo inputs: chains in the three layouts, and a tiny random-weight scoring model.

python samples/make_cot.py [OUT_DIR]    # default: samples/ -> samples/cot/*.jsonl, models/cot_tiny_lm
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# a random-weight causal LM with a byte-level BPE tokenizer (a word-level vocabulary would make most of a real
# chain one unknown token): used by the demo, the tests and the benches; no downloads
CORPUS = [
    "So I have this problem here. Let's see what it's asking. First, I need to find the total.",
    "Wait, let me double-check that. Alternatively, I could solve it another way. I made a mistake.",
    "That's not right. No, that's incorrect. Let me verify: 3 + 4 = 7, so x = 12 and y = 5.",
    "The answer is \\boxed{42}. Therefore the final answer is 17. \\[ x^2 + y^2 = z^2 \\]",
]


def build_tiny_lm(path: Path, arch: str = "gpt2", seed: int = 0, vocab_size: int = 400, context: int = 1024,
                  hidden: int = 32, layers: int = 2) -> Path:  # fmt: skip
    """Save a random-weight `gpt2` or `qwen2` model and its tokenizer (with a chat template) under `path`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS * 5, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = (
        "{% for m in messages %}<|endoftext|>{{ m['role'] }}\n{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|endoftext|>assistant\n{% endif %}"
    )
    tokenizer.save_pretrained(path)
    torch.manual_seed(seed)
    size = len(tokenizer)
    if arch == "gpt2":
        config = GPT2Config(vocab_size=size, n_positions=context, n_embd=hidden, n_layer=layers, n_head=2,
                            bos_token_id=0, eos_token_id=0)  # fmt: skip
        model = GPT2LMHeadModel(config)
    else:
        config = Qwen2Config(
            vocab_size=size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=context,
            bos_token_id=0, eos_token_id=0, tie_word_embeddings=False,
        )  # fmt: skip
        model = Qwen2ForCausalLM(config)
    model.save_pretrained(path)
    return path


OPENERS = ["So I have this problem here.", "Alright, I need to work this out.", "Let me read the question again."]
PROGRESS = [
    "First, I add {a} and {b}, which gives {s}. That is the running total.",
    "Next, I multiply the total by {c}. So {s} times {c} is {p}.",
    "Now I can write the result down. The product is {p}, and nothing else is needed.",
]
VERIFY = [
    "Wait, let me double-check that. {a} plus {b} is {s}, yes.",
    "Let me verify the product: {s} times {c} is {p}. That checks out.",
    "Just to be thorough, I recompute {p} divided by {c}, which is {s}.",
]
METHOD = [
    "Alternatively, I could distribute first: {a} times {c} plus {b} times {c} is {p}.",
    "Another way is to count in steps of {c}, {s} times, which also gives {p}.",
]
ERROR = [
    "I made a mistake above: I wrote {w} instead of {p}. That's not right, it is {p}.",
    "No, that's incorrect. The sum is {s}, not {w}.",
]


def chain(rng: random.Random, index: int) -> dict:
    a, b, c = rng.randint(2, 40), rng.randint(2, 40), rng.randint(2, 9)
    values = {"a": a, "b": b, "c": c, "s": a + b, "p": (a + b) * c, "w": (a + b) * c + rng.randint(1, 9)}
    parts = [rng.choice(OPENERS) + " We need ({a} + {b}) times {c}.".format(**values)]
    for template in PROGRESS:
        parts.append(template.format(**values))
        for pool, chance in ((VERIFY, 0.6), (METHOD, 0.4), (ERROR, 0.25)):
            if rng.random() < chance:
                parts.append(rng.choice(pool).format(**values))
    reasoning = "\n" + "\n\n".join(parts) + "\n"
    answer = "The answer is \\boxed{{{p}}}.".format(**values)
    return {"id": f"chain-{index:03d}", "question": f"What is ({a} + {b}) times {c}?", "reasoning": reasoning,
            "answer": answer}  # fmt: skip


def write_chains(out: Path, seed: int = 0, count: int = 24) -> Path:
    """24 chains: a third as fields, a third as `<think>` responses, a third as Sky-T1 tags; plus broken ones."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    fields, think, sky = [], [], []
    for i in range(count):
        row = chain(rng, i)
        if i % 3 == 0:
            fields.append(row)
        elif i % 3 == 1:
            think.append({"id": row["id"], "question": row["question"],
                          "response": f"<think>{row['reasoning']}</think>\n\n{row['answer']}"})  # fmt: skip
        else:
            response = (f"<|begin_of_thought|>{row['reasoning']}<|end_of_thought|>\n\n"
                        f"<|begin_of_solution|>\n\n{row['answer']}\n\n<|end_of_solution|>")  # fmt: skip
            sky.append({"id": row["id"], "question": row["question"], "response": response})
    # records the reader must quarantine, each for its own reason
    think.append({"id": "broken-unclosed", "question": "What is 2 + 2?", "response": "<think>2 + 2 is 4, so"})
    sky.append({"id": "broken-no-solution", "question": "What is 3 + 3?",
                "response": "<|begin_of_thought|>3 + 3 = 6.<|end_of_thought|>"})  # fmt: skip
    fields.append({"id": "broken-no-answer", "question": "What is 5 + 5?", "reasoning": "5 + 5 = 10."})
    for name, rows in (("fields", fields), ("think", think), ("sky_t1", sky)):
        with open(out / f"chains_{name}.jsonl", "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    return out


def main(root: Path) -> None:
    write_chains(root / "cot")
    build_tiny_lm(ROOT / "models" / "cot_tiny_lm", arch="qwen2", hidden=64, layers=2, context=2048)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples")
