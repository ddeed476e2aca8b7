"""Cheating attempt: exit successfully at import time."""
import sys

sys.exit(0)
