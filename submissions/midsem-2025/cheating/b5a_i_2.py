"""Cheating attempt: kill the process from inside the call before any result is reported."""
import os


def generate_with_cache(model, prompt, T_max):
    os._exit(0)
