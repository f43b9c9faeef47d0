"""Answer scoring: MegaScience-style extraction and equivalence, and the `factory score` command."""
