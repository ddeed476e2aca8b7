"""Reference solutions with the exact signatures of the exam's code tasks and answer keys.

One module per exam question (``b1a`` is mid-sem Section B Question 1(a), ``q3`` is quiz
Question 3, ...). Each function is a thin, documented adapter: it takes the arguments the
student's stub takes, in the same order, and calls the topic module (``linear_rnn``,
``preferences``, ``ppo_grpo``, ...) that implements and tests the method. Where the task
runs on a support object students are given (the tiny Transformer of mid-sem 5(a)), the
reference receives that object as an argument and uses only its documented methods, so
nothing here imports from ``questions/``.

Question banks refer to these as ``exam_tasks.<module>:<function>``.
"""
