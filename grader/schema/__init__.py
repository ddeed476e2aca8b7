"""Typed, documented models of the YAML question-bank format."""

from grader.schema.cases import CaseSpec, Generated, HiddenCases
from grader.schema.files import Bank, Exam, Section, TextReview
from grader.schema.params import ParamSpec, RefCall
from grader.schema.questions import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    TextQuestion,
)

__all__ = [
    "Bank",
    "CaseSpec",
    "CodeQuestion",
    "Exam",
    "ExpressionQuestion",
    "Generated",
    "HiddenCases",
    "McqQuestion",
    "MultipartQuestion",
    "NumericQuestion",
    "OrderingQuestion",
    "ParamSpec",
    "Question",
    "RefCall",
    "Section",
    "TextQuestion",
    "TextReview",
]
