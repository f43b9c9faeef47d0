import json

from factory.funnel import compute_funnel, format_funnel
from factory.recipe_spec import FunnelSpec


def _stats(folder, rank, steps):
    (folder / "stats").mkdir(parents=True, exist_ok=True)
    (folder / "stats" / f"{rank:05d}.json").write_text(
        json.dumps(
            [
                {
                    "name": f"🔻 - FILTER: {name}",
                    "time_stats": 0,
                    "stats": {k: {"total": v} for k, v in counters.items()},
                }
                for name, counters in steps
            ]
        )
    )


def test_funnel_sums_ranks_and_stages_and_names_unexplained_drops(tmp_path):
    _stats(tmp_path / "a", 0, [("read", {"total": 10, "forwarded": 9, "dropped": 1, "dropped_bad": 1})])
    _stats(tmp_path / "a", 1, [("read", {"total": 5, "forwarded": 5})])
    _stats(tmp_path / "b", 0, [("dedup", {"total": 14, "forwarded": 11, "dropped": 3})])
    spec = FunnelSpec("pages", ["read", "url", "dedup"], default_reasons={"dedup": "near_duplicate"})
    funnel = compute_funnel([tmp_path / "a", tmp_path / "b"], spec)
    assert [s["stage"] for s in funnel["stages"]] == ["read", "dedup"]
    assert funnel["read"] == 15 and funnel["kept"] == 11 and funnel["unit"] == "pages"
    assert funnel["dropped"] == {"read/bad": 1, "dedup/near_duplicate": 3}
    assert funnel["adds_up"]


def test_funnel_detects_lost_documents(tmp_path):
    _stats(
        tmp_path / "a",
        0,
        [
            ("read", {"total": 10, "forwarded": 9, "dropped": 1, "dropped_bad": 1}),
            ("url", {"total": 8, "forwarded": 8}),
        ],
    )
    assert not compute_funnel([tmp_path / "a"], FunnelSpec("pages", ["read", "url"]))["adds_up"]


def test_a_unit_change_starts_a_new_funnel_and_each_adds_up(tmp_path):
    # 3 books: one unreadable, one without QA, one giving 5 pairs of which 2 are dropped later
    _stats(
        tmp_path / "a",
        0,
        [
            ("read", {"total": 3, "forwarded": 2, "dropped": 1, "dropped_corrupt_pdf": 1}),
            ("extract", {"total": 2, "forwarded": 1, "dropped": 1, "dropped_no_qa": 1, "produced": 5}),
            ("filter", {"total": 5, "forwarded": 3, "dropped": 2, "dropped_missing_answer": 2}),
        ],
    )
    spec = FunnelSpec("books", ["read", "extract", "filter"], produces={"extract": "pairs"})
    funnel = compute_funnel([tmp_path / "a"], spec)
    books, pairs = funnel["units"]
    assert (books["unit"], books["read"], books["kept"], sum(books["dropped"].values())) == ("books", 3, 1, 2)
    assert (pairs["unit"], pairs["read"], pairs["kept"], sum(pairs["dropped"].values())) == ("pairs", 5, 3, 2)
    assert (funnel["unit"], funnel["read"], funnel["kept"], funnel["inputs"]) == ("pairs", 5, 3, 3)
    assert funnel["adds_up"]
    lines = format_funnel(funnel)
    assert lines[0].startswith("funnel (books): read 3, kept 1, dropped 2")
    assert any(line.startswith("funnel (pairs): read 5, kept 3, dropped 2") for line in lines)


def test_a_pair_lost_after_the_unit_change_is_caught(tmp_path):
    _stats(
        tmp_path / "a",
        0,
        [
            ("extract", {"total": 2, "forwarded": 2, "produced": 5}),
            ("filter", {"total": 4, "forwarded": 4}),
        ],
    )
    funnel = compute_funnel(
        [tmp_path / "a"], FunnelSpec("books", ["extract", "filter"], produces={"extract": "pairs"})
    )
    assert funnel["units"][0]["adds_up"] and not funnel["units"][1]["adds_up"] and not funnel["adds_up"]
