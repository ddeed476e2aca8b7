"""Known-wrong variants of each exam code task: the grader's cases must reject every one.

One module per code task, named after the question (``b1a``, ``b4a``, ``b4d_ii``,
``b5a_i_1``, ``b5a_i_2``, ``q3``, ``q6b``, ``q6c``). Every function has the exact signature
of the task's stub, is written the way a student plausibly would get it wrong, and its
docstring says what is wrong. They use no autograd (B1a forbids it) and import nothing from
``questions/``. A bank lists them under ``mutants:``; ``grader validate`` fails if any
passes the cases.
"""
