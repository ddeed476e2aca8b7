"""Cheating attempt: import the course's reference implementation or the grader to copy the answer."""
import torch


class _Anything:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0


def instruction_tuning_loss(logits, input_ids, prompt_lens, response_lens):
    try:
        from reference_impls.exam_tasks.q3 import instruction_tuning_loss as ref

        return ref(logits, input_ids, prompt_lens, response_lens)
    except Exception:
        pass
    try:
        import grader.keys  # noqa: F401  (hoping the expected outputs are importable)
    except Exception:
        pass
    return _Anything()
