"""Input readers that account for every record.

Datatrove's readers skip records they cannot use (empty text, malformed JSON, undecodable pages,
truncated archives) with at most a log line. Ours yield such records as documents flagged with
`metadata["read_error"]`, so the first step of every recipe (`ReadErrorFilter`) quarantines them
with their reason and the funnel adds up.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib

from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from factory.json_lines import json_objects

_CANONICAL = re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']([^"']+)["']""", re.I)
_OG_URL = re.compile(rb"""<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)["']""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def error_document(doc_id: str, reason: str, detail: str, source: str) -> Document:
    return Document(text="", id=doc_id, metadata={"read_error": reason, "error": detail[:500], "source": source})


def decode_html(content: bytes, declared: str | None = None) -> str | None:
    """Decode page bytes: UTF-8, then the declared charset, then charset detection. None if it is not text."""
    candidates = ["utf-8"]
    if declared:
        candidates.append(declared)
    if match := _META_CHARSET.search(content[:4096]):
        candidates.append(match.group(1).decode("ascii", "ignore"))
    text = None
    for charset in candidates:
        try:
            text = content.decode(charset)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(content).best()
        text = None if best is None else str(best)
    return None if text is None or _is_binary(text) else text


def _is_binary(text: str) -> bool:
    """Binary payloads can "decode" (control bytes are valid UTF-8); real text has few control characters."""
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls > 0.05 * max(len(sample), 1)


def url_from_html(content: bytes) -> str | None:
    head = content[:16384]
    match = _CANONICAL.search(head) or _OG_URL.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


class WarcPageReader(BaseDiskReader):
    """One document per WARC response record; non-HTML, undecodable and truncated records are flagged."""

    name = "input"

    def __init__(self, data_folder: str, glob_pattern: str | None = None):
        super().__init__(data_folder, glob_pattern=glob_pattern, add_file_path=False)

    def _gzip_problem(self, filepath: str) -> str | None:
        """warcio stops silently at a cut-off gzip member; a streaming check of the file tells."""
        if not filepath.endswith(".gz"):
            return None
        try:
            with self.data_folder.open(filepath, "rb", compression=None) as raw, gzip.GzipFile(fileobj=raw) as f:
                while f.read(1 << 20):
                    pass
        except (EOFError, zlib.error, OSError) as e:
            return f"{type(e).__name__}: {e}"
        return None

    def read_file(self, filepath: str):
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        index, problem, last_cut, raised = 0, self._gzip_problem(filepath), False, False
        archive = None
        try:
            with self.data_folder.open(filepath, "rb", compression=None) as f:
                archive = ArchiveIterator(f)
                for record in archive:
                    if record.rec_type not in ("response", "conversion"):
                        continue
                    doc = self._document(record, filepath, index)
                    last_cut = doc.metadata.get("read_error") == "truncated_warc"
                    index += 1
                    yield doc
        except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError, AttributeError, TypeError) as e:
            # warcio's parser fails in several ways on a cut-off header (AttributeError on a missing URI...)
            problem, raised = f"{type(e).__name__}: {e}", True
        if problem and not raised and archive is not None:
            # warcio read every record whole and the damage is past them (a cut gzip trailer): no record is lost
            if archive.offset >= self.data_folder.info(filepath)["size"]:
                self.stat_update("damaged_gzip_trailer")
                problem = None
        if problem and not last_cut:  # a record already flagged as cut off is the same damage: count it once
            yield error_document(f"{filepath}#{index}", "truncated_warc", problem, filepath)

    def _document(self, record, filepath: str, index: int) -> Document:
        headers = record.rec_headers
        doc_id = headers.get_header("WARC-Record-ID") or f"{filepath}#{index}"
        url = headers.get_header("WARC-Target-URI")
        content = record.content_stream().read()
        if getattr(record.raw_stream, "limit", 0):  # fewer bytes than Content-Length: cut off
            return error_document(doc_id, "truncated_warc", "record ends before its Content-Length", filepath)
        mime = headers.get_header("WARC-Identified-Payload-Type")
        declared = None
        if record.http_headers is not None:
            content_type = record.http_headers.get_header("Content-Type") or ""
            mime = mime or content_type.split(";")[0].strip().lower() or None
            if "charset=" in content_type:
                declared = content_type.split("charset=")[-1].strip()
        if mime and mime not in HTML_TYPES and record.rec_type == "response":
            return error_document(doc_id, "not_html", f"payload type {mime}", filepath)
        text = decode_html(content, declared)
        if text is None:
            return error_document(doc_id, "undecodable", f"{len(content)} bytes in no known text encoding", filepath)
        metadata = {"url": url, "date": headers.get_header("WARC-Date"), "source": filepath}
        return Document(text=text, id=doc_id, metadata=metadata)


class HtmlFileReader(BaseDiskReader):
    """One document per HTML file; its id is the path inside the input folder."""

    name = "input"

    def __init__(self, data_folder: str, glob_pattern: str | None = None):
        super().__init__(data_folder, glob_pattern=glob_pattern, add_file_path=False)

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rb") as f:
            content = f.read()
        text = decode_html(content)
        if text is None:
            yield error_document(filepath, "undecodable", f"{len(content)} bytes in no known text encoding", filepath)
            return
        yield Document(text=text, id=filepath, metadata={"url": url_from_html(content), "source": filepath})


class RowsReader(BaseDiskReader):
    """JSONL or parquet rows; malformed lines and rows without text are flagged with their line or row."""

    name = "input"

    def __init__(self, data_folder: str, fmt: str, glob_pattern: str | None = None, text_key="text", id_key="id"):
        super().__init__(data_folder, glob_pattern=glob_pattern, text_key=text_key, id_key=id_key, add_file_path=False)
        self.fmt = fmt

    def read_file(self, filepath: str):
        rows = self._jsonl_rows(filepath) if self.fmt == "jsonl" else self._parquet_rows(filepath)
        for index, row, problem in rows:
            doc_id = f"{filepath}#{index}"
            if problem:
                yield error_document(doc_id, "malformed_row", problem, filepath)
                continue
            text = row.pop(self.text_key, None)
            if not isinstance(text, str):
                yield error_document(doc_id, "missing_text", f"no string field {self.text_key!r}", filepath)
                continue
            doc_id = str(row.pop(self.id_key, None) or doc_id)
            metadata = {k: v for k, v in row.items() if isinstance(v, str | int | float | bool) or v is None}
            metadata["source"] = filepath
            yield Document(text=text, id=doc_id, metadata=metadata)

    def _jsonl_rows(self, filepath: str):
        with self.data_folder.open(filepath, "rt", compression="infer", errors="replace") as f:
            yield from json_objects(f)

    def _parquet_rows(self, filepath: str):
        import pyarrow.parquet as pq

        row_no = 0
        with self.data_folder.open(filepath, "rb") as f:
            try:
                parquet = pq.ParquetFile(f)
                for batch in parquet.iter_batches(batch_size=1024):
                    for row in batch.to_pylist():
                        yield row_no, row, None
                        row_no += 1
            except Exception as e:  # pyarrow raises several types for damaged files
                yield row_no, None, f"unreadable parquet after row {row_no}: {e}"


def make_reader(input_config) -> BaseDiskReader:
    """The reader for a recipe's `input:` block."""
    fmt, glob = input_config.format, input_config.glob_pattern
    if fmt == "warc":
        return WarcPageReader(input_config.folder, glob_pattern=glob)
    if fmt == "html":
        return HtmlFileReader(input_config.folder, glob_pattern=glob)
    if fmt in ("jsonl", "parquet"):
        return RowsReader(input_config.folder, fmt, glob, input_config.text_key, input_config.id_key)
    raise ValueError(f"input.format {fmt!r} has no reader in this recipe")


class RankShardReader(BaseDiskReader):
    """Reads back exactly the shard this rank wrote earlier (`{rank:05d}.jsonl.gz`).

    MinHash removal ids are per-rank document indices, so rank r must reread rank r's own shard even when
    another rank wrote nothing (a plain reader would shift every later shard by one).
    """

    name = "reload"

    def __init__(self, data_folder: str):
        super().__init__(data_folder, add_file_path=False)

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rt", compression="gzip") as f:
            for line in f:
                row = json.loads(line)
                yield Document(text=row["text"], id=row["id"], metadata=row.get("metadata", {}))

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        shard = f"{rank:05d}.jsonl.gz"
        if self.data_folder.isfile(shard):
            for doc in self.read_files_shard([shard]):
                self.update_doc_stats(doc)
                yield doc
