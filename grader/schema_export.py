"""The JSON Schema of bank and exam files, generated from the pydantic models."""

from __future__ import annotations

from typing import Any

from grader.schema import Bank, Exam

__all__ = ["json_schema"]


def json_schema() -> dict[str, Any]:
    """One schema accepting either a bank (key `bank`) or an exam (key `exam`)."""
    bank = Bank.model_json_schema(ref_template="#/$defs/{model}")
    exam = Exam.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = {}
    defs.update(bank.pop("$defs", {}))
    defs.update(exam.pop("$defs", {}))
    defs["Bank"] = bank
    defs["Exam"] = exam
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://llm-exam-grader.invalid/question-file.schema.json",
        "title": "LLM exam grader: question bank or exam definition",
        "description": (
            "A bank has top-level key `bank`; an exam definition has top-level key `exam`."
        ),
        "oneOf": [{"$ref": "#/$defs/Bank"}, {"$ref": "#/$defs/Exam"}],
        "$defs": defs,
    }
