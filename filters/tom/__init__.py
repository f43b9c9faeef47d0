"""tom_synth steps: DynToM-style contexts (profiles, sketch, story) and their rule-based questions."""
