"""Jupyter and Colab: notebook submissions (``reader``, ``folder``) and notebook kits
(``kit_notebook``, with the in-notebook self-check ``selfcheck``)."""

from grader.notebooks.reader import CodeSlot, NotebookAnswers, parse_notebook

__all__ = ["CodeSlot", "NotebookAnswers", "parse_notebook"]
