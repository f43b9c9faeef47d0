"""Writes the embedded sample inputs for `make demo` and the tests: deterministic, no downloads.

samples/web/        a small crawl as WARC files: math pages (MathML, KaTeX, MathJax, <sup>/<sub>),
                    non-math and non-English pages, near-duplicates, a blocklisted domain, a page that
                    repeats a benchmark question, an empty page, undecodable bytes, an image record,
                    and a truncated WARC file.
samples/benchmarks/ a benchmark question file for decontamination.
samples/seed/       labelled documents for `factory train-classifier` (the demo math classifier).
"""

from __future__ import annotations

import argparse
import io
import json
import random
from pathlib import Path

TOPICS = [
    ("quadratic equations", "x^2 - 5x + 6 = 0", "x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}", "roots", "discriminant"),
    ("derivatives", "f(x) = x^3 + 2x", "f'(x) = \\lim_{h \\to 0} \\frac{f(x+h) - f(x)}{h}", "slope", "tangent line"),
    ("integration", "\\int_0^1 x^2 \\, dx", "\\int_a^b f(x)\\,dx = F(b) - F(a)", "area", "antiderivative"),
    ("probability", "P(A \\cap B)", "P(A \\mid B) = \\frac{P(A \\cap B)}{P(B)}", "events", "conditional probability"),
    ("linear algebra", "A\\mathbf{x} = \\mathbf{b}", "\\det(A - \\lambda I) = 0", "eigenvalues", "matrix"),
    ("number theory", "a \\equiv b \\pmod{n}", "a^{p-1} \\equiv 1 \\pmod{p}", "primes", "modular arithmetic"),
    ("geometry", "a^2 + b^2 = c^2", "A = \\pi r^2", "triangle", "hypotenuse"),
    (
        "series",
        "\\sum_{n=1}^{\\infty} \\frac{1}{n^2}",
        "\\sum_{k=0}^{n} \\binom{n}{k} = 2^n",
        "convergence",
        "partial sums",
    ),
    (
        "statistics",
        "\\bar{x} = \\frac{1}{n}\\sum x_i",
        "\\sigma^2 = \\frac{1}{n}\\sum (x_i - \\mu)^2",
        "variance",
        "sample mean",
    ),
    (
        "trigonometry",
        "\\sin^2 \\theta + \\cos^2 \\theta = 1",
        "\\tan \\theta = \\frac{\\sin \\theta}{\\cos \\theta}",
        "angle",
        "unit circle",
    ),
]
MATH_SENTENCES = [
    "We begin by recalling the definition of the {a} and why it matters for {b}.",
    "Consider the expression below and compute its value step by step.",
    "To prove the claim, we apply the theorem twice and simplify the result.",
    "Notice that the {a} depends only on the coefficients, so the {b} follows directly.",
    "Substituting {n} for the variable gives a numerical check of the identity.",
    "The proof proceeds by induction on n, with the base case n = {n}.",
    "Therefore the equation has exactly {n} solutions in the real numbers.",
    "Exercise {n}: show that the {a} is unchanged when both sides are multiplied by a constant.",
    "A common mistake is to forget the {b}; always check the hypothesis of the lemma.",
    "Solving for the unknown, we obtain a formula that holds for every integer greater than {n}.",
]
OTHER_TOPICS = {
    "cooking": [
        "Preheat the oven and butter a large baking dish.",
        "Slice the onions thinly and fry them until golden.",
        "Season the soup with salt, pepper and a little fresh thyme.",
        "Let the dough rest for an hour before baking.",
        "Serve the stew warm with crusty bread and a green salad.",
        "Whisk the eggs with sugar until pale and fluffy.",
    ],
    "travel": [
        "The old town is best explored on foot early in the morning.",
        "Trains to the coast leave every hour from the central station.",
        "Our guide showed us the harbour, the market and the cathedral.",
        "Book the mountain hut in advance during the summer season.",
        "The museum is closed on Mondays but the gardens stay open.",
        "We rented bicycles and rode along the river to the castle.",
    ],
    "sports": [
        "The home team scored twice in the second half to win the match.",
        "Her serve has improved a lot since the spring tournament.",
        "The coach praised the defence after a hard fought draw.",
        "Fans filled the stadium despite the cold and the rain.",
        "The marathon route passes the park and the old bridge.",
        "A late goal sent the club into the cup final.",
    ],
    "gardening": [
        "Plant the tomatoes in a sunny spot sheltered from the wind.",
        "Water the seedlings gently every evening in dry weather.",
        "Roses need pruning in late winter before new growth begins.",
        "Mulch keeps the soil moist and suppresses weeds.",
        "Compost kitchen scraps to feed the vegetable beds next year.",
        "Lavender attracts bees and thrives in poor soil.",
    ],
}
FRENCH = [
    "Le marché du samedi propose des fromages, du pain frais et des légumes de saison.",
    "Nous avons visité le musée puis nous avons déjeuné au bord de la rivière.",
    "La recette demande du beurre, de la farine et un peu de sucre.",
    "Le train pour Lyon part toutes les heures depuis la gare centrale.",
]
BENCHMARK = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
    "Weng earns 12 dollars an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?",
    "Betty is saving money for a new wallet which costs 100 dollars. Betty has only half of the money she needs. How much more money does Betty need?",
]


def math_formula_html(style: str, tex: str, display: bool) -> str:
    if style == "mathml":
        block = ' display="block"' if display else ""
        return (
            f'<math xmlns="http://www.w3.org/1998/Math/MathML"{block}>'
            f'<semantics><mrow><mi>x</mi></mrow><annotation encoding="application/x-tex">{tex}</annotation>'
            "</semantics></math>"
        )
    if style == "alttext":
        return f'<math alttext="{tex}"><mrow><mi>x</mi><mo>=</mo><mn>1</mn></mrow></math>'
    if style == "katex":
        inner = (
            f'<span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>x</mi></mrow>'
            f'<annotation encoding="application/x-tex">{tex}</annotation></semantics></math></span>'
            '<span class="katex-html" aria-hidden="true"><span class="mord">x</span></span></span>'
        )
        return f'<span class="katex-display">{inner}</span>' if display else inner
    if style == "mathjax":
        mode = "; mode=display" if display else ""
        return f'<span class="MathJax_Preview">x</span><script type="math/tex{mode}">{tex}</script>'
    return "x<sup>2</sup> + y<sub>i</sub> = z<sup>n</sup>"  # plain sup/sub


def math_paragraphs(rng: random.Random, topic, count: int) -> list[str]:
    name, _, _, a, b = topic
    return [
        " ".join(rng.choice(MATH_SENTENCES).format(a=a, b=b, n=rng.randint(2, 99)) for _ in range(4))
        for _ in range(count)
    ]


def page(title: str, body: str, url: str) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{url}"></head><body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>'
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright example.org</footer></body></html>"
    )


def math_page(rng: random.Random, i: int, style: str, url: str) -> str:
    topic = TOPICS[i % len(TOPICS)]
    paras = math_paragraphs(rng, topic, 4)
    body = (
        f"<p>{paras[0]} The key identity is {math_formula_html(style, topic[1], False)}.</p>"
        f"<p>{paras[1]}</p>{math_formula_html(style, topic[2], True)}<p>{paras[2]}</p><p>{paras[3]}</p>"
    )
    return page(f"Lecture notes on {topic[0]} ({i})", body, url)


def other_page(rng: random.Random, subject: str, i: int, url: str) -> str:
    sentences = OTHER_TOPICS[subject]
    paras = [" ".join(rng.choice(sentences) for _ in range(4)) for _ in range(4)]
    return page(f"{subject.title()} diary, part {i}", "".join(f"<p>{p}</p>" for p in paras), url)


def warc_bytes(records: list[tuple[str, bytes, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for n, (url, payload, content_type) in enumerate(records):
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(payload),
            http_headers=http,
            warc_headers_dict={
                "WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>",
                "WARC-Date": "2025-01-15T12:00:00Z",
            },
        )
        writer.write_record(record)
    return buffer.getvalue()


def crawl(rng: random.Random) -> list[list[tuple[str, bytes, str]]]:
    html = "text/html; charset=utf-8"
    styles = ["mathml", "katex", "mathjax", "alttext", "supsub"]
    records = []
    for i in range(20):
        url = f"https://math.example.org/notes/{i}"
        records.append((url, math_page(rng, i, styles[i % len(styles)], url).encode(), html))
    for i, subject in enumerate(sorted(OTHER_TOPICS) * 4):
        url = f"https://blog.example.com/{subject}/{i}"
        records.append((url, other_page(rng, subject, i, url).encode(), html))
    # near-duplicates: the same lecture notes mirrored, with a different footer
    for i in (1, 4, 7):
        original = records[i][1].decode().replace("Copyright example.org", "Mirrored by mirror.example.net")
        records.append((f"https://mirror.example.net/notes/{i}", original.encode(), html))
    fr = "<p>" + " ".join(FRENCH * 2) + "</p><p>" + " ".join(reversed(FRENCH)) + "</p>"
    records.append(
        ("https://exemple.fr/journal", page("Journal de voyage", fr, "https://exemple.fr/journal").encode(), html)
    )
    records.append(
        (
            "https://casino-bonus.example/win",
            math_page(rng, 3, "katex", "https://casino-bonus.example/win").encode(),
            html,
        )
    )
    contaminated = math_page(rng, 11, "mathjax", "https://math.example.org/word-problems")
    contaminated = contaminated.replace("</article>", f"<p>Worked problem: {BENCHMARK[0]} Answer: 72.</p></article>")
    records.append(("https://math.example.org/word-problems", contaminated.encode(), html))
    records.append(("https://math.example.org/empty", b"<html><head></head><body></body></html>", html))
    records.append(("https://math.example.org/garbage", bytes(rng.randrange(0, 32) for _ in range(2048)), html))
    records.append(("https://math.example.org/figure.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"))
    rng.shuffle(records)
    half = len(records) // 2
    return [records[:half], records[half:]]


def seed_documents(rng: random.Random, count: int) -> list[dict]:
    docs = []
    for _i in range(count):
        topic = TOPICS[rng.randrange(len(TOPICS))]
        text = " ".join(math_paragraphs(rng, topic, 2)) + f" ${topic[rng.randrange(1, 3)]}$"
        docs.append({"text": text, "label": "math"})
        subject = rng.choice(sorted(OTHER_TOPICS))
        docs.append({"text": " ".join(rng.choice(OTHER_TOPICS[subject]) for _ in range(8)), "label": "non_math"})
    return docs


def write_samples(root: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    web = root / "web"
    web.mkdir(parents=True, exist_ok=True)
    for old in web.glob("*.warc.gz"):
        old.unlink()
    shards = [warc_bytes(records) for records in crawl(rng)]
    for n, data in enumerate(shards):
        (web / f"crawl-{n:05d}.warc.gz").write_bytes(data)
    # a crawl file cut off mid-record (interrupted download)
    (web / "crawl-00002.warc.gz").write_bytes(shards[0][: len(shards[0]) // 2])
    bench = root / "benchmarks"
    bench.mkdir(parents=True, exist_ok=True)
    with (bench / "gsm8k_sample.jsonl").open("w", encoding="utf-8") as f:
        for question in BENCHMARK:
            f.write(json.dumps({"question": question}) + "\n")
    seed_dir = root / "seed"
    seed_dir.mkdir(parents=True, exist_ok=True)
    with (seed_dir / "labelled.jsonl").open("w", encoding="utf-8") as f:
        for doc in seed_documents(random.Random(seed + 1), 300):
            f.write(json.dumps(doc) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_samples(Path(args.out), args.seed)
    from make_textbooks import write_textbooks

    write_textbooks(Path(args.out) / "textbooks")
    print(f"wrote samples under {args.out}")
