import gzip
import json

import pytest

from factory.readers import HtmlFileReader, RowsReader, WarcPageReader, decode_html


def _docs(reader):
    return list(reader.run(rank=0, world_size=1))


def test_warc_reader_flags_truncated_file_and_bad_records(samples):
    docs = _docs(WarcPageReader(str(samples / "web"), glob_pattern="*.warc.gz"))
    errors = [d.metadata["read_error"] for d in docs if "read_error" in d.metadata]
    assert errors.count("truncated_warc") == 1
    assert "undecodable" in errors and "not_html" in errors
    good = [d for d in docs if "read_error" not in d.metadata]
    assert all(d.metadata["url"].startswith("https://") for d in good)
    truncated = next(d for d in docs if d.metadata.get("read_error") == "truncated_warc")
    assert truncated.metadata["source"] == "crawl-00002.warc.gz"


def test_html_reader_reads_canonical_url_and_decodes_legacy_charset(tmp_path):
    (tmp_path / "a.html").write_bytes(
        '<html><head><meta charset="latin-1"><link rel="canonical" href="https://x.org/a"></head>'
        "<body>Caf\xe9</body></html>".encode("latin-1")
    )
    (tmp_path / "b.html").write_bytes(bytes(range(32)) * 64)
    docs = _docs(HtmlFileReader(str(tmp_path)))
    by_id = {d.id: d for d in docs}
    assert by_id["a.html"].metadata["url"] == "https://x.org/a"
    assert "Café" in by_id["a.html"].text
    assert by_id["b.html"].metadata["read_error"] == "undecodable"


def test_jsonl_reader_flags_malformed_lines_with_line_numbers(tmp_path):
    with gzip.open(tmp_path / "x.jsonl.gz", "wt") as f:
        f.write(json.dumps({"id": "1", "text": "hello"}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"id": "3", "body": "no text"}) + "\n")
        f.write(json.dumps([1, 2]) + "\n")
    docs = _docs(RowsReader(str(tmp_path), "jsonl"))
    assert [d.metadata.get("read_error") for d in docs] == [None, "malformed_row", "missing_text", "malformed_row"]
    assert "line 2" in docs[1].metadata["error"]


def test_parquet_reader(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "text": ["one", "two"], "url": ["u1", "u2"]}), tmp_path / "x.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    docs = _docs(RowsReader(str(tmp_path), "parquet"))
    assert [d.id for d in docs if "read_error" not in d.metadata] == ["a", "b"]
    assert [d.metadata["read_error"] for d in docs if "read_error" in d.metadata] == ["malformed_row"]


def test_decode_refuses_binary():
    assert decode_html(b"\x00\x01\x02\x03" * 100) is None
    assert decode_html("<p>héllo</p>".encode()) == "<p>héllo</p>"


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("kept", [0.3, 0.8, 0.95, 0.999])
def test_one_record_cut_anywhere_is_counted_once(tmp_path, compressed, kept):
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compressed)
    body = b"<html><body>" + b"<p>A long page about sums of squares.</p>" * 400 + b"</body></html>"
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record("https://x.org/p", "response", payload=io.BytesIO(body), http_headers=headers)
    writer.write_record(record)
    data = buffer.getvalue()
    name = "clipped.warc.gz" if compressed else "clipped.warc"
    (tmp_path / name).write_bytes(data[: int(len(data) * kept)])
    docs = _docs(WarcPageReader(str(tmp_path), glob_pattern="*.warc*"))
    assert len(docs) == 1  # one record in the file, one document read: kept whole, or quarantined once
    if kept < 0.99 or not compressed:
        assert docs[0].metadata.get("read_error") == "truncated_warc"
