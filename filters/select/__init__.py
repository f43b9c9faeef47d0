"""Selection ablations: arms cut from one pool with polars lazy scans (MegaScience §3)."""
