from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter


class ReadErrorFilter(BaseFilter):
    """Quarantines records the reader could not turn into a page (truncated archive, undecodable bytes...)."""

    name = "read"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        reason = doc.metadata.get("read_error")
        return (False, reason) if reason else True
