"""The grader's version, recorded with every graded answer."""

__version__ = "0.1.0"
