from __future__ import annotations

from urllib.parse import urlsplit

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter


def _domain_suffixes(host: str):
    parts = host.split(".")
    for i in range(len(parts)):
        yield ".".join(parts[i:])


class UrlBlocklistFilter(BaseFilter):
    """Drops pages whose host (or any parent domain) is blocklisted, or whose URL contains a blocked substring.

    Offline by design: datatrove's `URLFilter` needs tldextract's public suffix list from the network.
    """

    name = "url"

    def __init__(self, domains: list[str], substrings: list[str] = (), exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.domains = frozenset(d.lower().strip(".") for d in domains)
        self.substrings = tuple(s.lower() for s in substrings)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        url = (doc.metadata.get("url") or "").lower()
        if not url:
            return True
        host = (urlsplit(url).hostname or "").strip(".")
        if any(suffix in self.domains for suffix in _domain_suffixes(host)):
            return False, "blocked_domain"
        if any(s in url for s in self.substrings):
            return False, "blocked_url_pattern"
        return True
