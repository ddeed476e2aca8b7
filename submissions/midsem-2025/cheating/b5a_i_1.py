"""Cheating attempt: exit with status 0 at import, hoping "no failure" counts as a pass."""
import sys

sys.exit(0)


def generate_no_cache(model, prompt, T_max):
    return prompt
