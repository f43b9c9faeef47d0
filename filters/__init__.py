"""Our datatrove filters and scorers. Every filter names its stage (`name`) and its drop reasons."""
