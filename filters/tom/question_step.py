"""One document per question of each context (the funnel's unit changes: contexts -> questions)."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.tom.pools import load_pools
from filters.tom.questions import make_questions
from filters.tom.sketch import to_trajectory
from filters.tom.story import render_story


class QuestionMaker(PipelineStep):
    name = "questions"
    type = "🧠 - TOM"

    def __init__(self, seed: int, max_options: int = 26, pools_folder: str | None = None):
        super().__init__()
        self.seed, self.max_options, self.pools_folder = seed, max_options, pools_folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        fallback = load_pools(self.pools_folder).fallback()
        for doc in data:
            self.stat_update(StatHints.total)
            context = doc.metadata["context"]
            trajectory = to_trajectory(context)
            story = render_story(context.get("story") or {}, trajectory.scenarios)
            questions = make_questions(trajectory, doc.id, self.seed, fallback, self.max_options)
            self.stat_update(StatHints.forwarded)
            self.stat_update("produced", value=len(questions))
            for q in questions:
                self.stat_update(f"produced_{q.question_type}")
                yield Document(
                    text=q.question,
                    id=f"{doc.id}/{q.question_id}",
                    metadata={"context_id": doc.id, "story_text": story, **q.as_dict()},
                )
