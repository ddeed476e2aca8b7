"""The benchmark assignment graded by our grader and by Otter-Grader (see README.md)."""
