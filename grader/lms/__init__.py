"""Fitting the grader to learning-management systems: grades out, submissions in."""
