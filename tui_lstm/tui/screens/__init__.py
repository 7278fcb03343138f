"""Modal screens: help, and the one-line prompts (try a sum, open a run)."""
