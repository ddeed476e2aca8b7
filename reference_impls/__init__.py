"""Reference implementations of every topic of the course "Advances in Large Language Models".

This package is the oracle of the grading engine: numeric answer keys, MCQ option
correctness for randomized variants and the hidden test cases of code questions are all
computed from it. It is also meant to be read: one topic per module, top to bottom.

Shape vocabulary (used in every docstring and shape comment of the package):

    B   batch size
    T   sequence length (time); S for a second sequence length (keys/values)
    D   model width (d_model); C is used for channels/features where D would clash
    H   number of attention heads
    Dh  per-head width (d_k = D // H)
    V   vocabulary size
    L   number of layers
    K   group size (GRPO), number of ranked responses (Bradley-Terry)
    N   number of items (parameters, data points) where nothing else fits

Every function that creates tensors takes ``device`` (``None`` means: the device of the
tensor arguments, or CPU when there are none) and works on CPU and CUDA.
"""
