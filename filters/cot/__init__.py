"""Steps of the cot_prune recipe (PIR pruning of reasoning chains): layouts, segmentation, cues, scoring, pruning."""
