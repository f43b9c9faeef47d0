from datatrove.pipeline.dedup.minhash import MinhashDedupFilter


class NearDuplicateFilter(MinhashDedupFilter):
    """Datatrove's MinHash stage 4 under our funnel name; pair it with a `QuarantineWriter("near_duplicate")`."""

    name = "dedup"
