import json

from factory.funnel import compute_funnel


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
    funnel = compute_funnel([tmp_path / "a", tmp_path / "b"], ["read", "url", "dedup"], {"dedup": "near_duplicate"})
    assert [s["stage"] for s in funnel["stages"]] == ["read", "dedup"]
    assert funnel["read"] == 15 and funnel["kept"] == 11
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
    assert not compute_funnel([tmp_path / "a"], ["read", "url"], {})["adds_up"]


def test_funnel_across_a_unit_change(tmp_path):
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
    funnel = compute_funnel([tmp_path / "a"], ["read", "extract", "filter"], {})
    assert (funnel["inputs"], funnel["read"], funnel["kept"]) == (3, 5, 3)
    assert funnel["stages"][1]["produced"] == 5
    assert funnel["adds_up"]
