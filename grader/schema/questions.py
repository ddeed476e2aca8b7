"""The question types of a bank, one pydantic model per ``type``.

Every question has ``id``, ``marks``, ``topic``, ``prompt`` (Markdown with LaTeX math) and
``solution`` (the worked solution shown in feedback once released), and may declare
``params`` for randomized variants. The ``type`` key picks the model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from grader.schema._base import ID_PATTERN, REF_PATTERN, Strict, repeated
from grader.schema.cases import CaseSpec, HiddenCases
from grader.schema.groups import RANDOM_CASES, group_problem
from grader.schema.params import ParamSpec, RefCall
from grader.scoring import DEFAULT_PENALTY

__all__ = [
    "Scoring",
    "Option",
    "McqQuestion",
    "Tolerance",
    "NumericQuestion",
    "Variable",
    "ExpressionQuestion",
    "OrderingQuestion",
    "RubricPoint",
    "TextQuestion",
    "Tolerances",
    "CompareSpec",
    "LimitsSpec",
    "ComplexitySpec",
    "CodeQuestion",
    "CaseGroup",
    "Mutant",
    "Distractor",
    "FormulaDistractor",
    "PartQuestion",
    "MultipartQuestion",
    "Question",
    "QUESTION_TYPES",
]

MARKS_EPS = 1e-9


class Scoring(Strict):
    """How a check result becomes marks."""

    policy: Literal["all_or_nothing", "partial", "negative"] = Field(
        default="all_or_nothing",
        description="all_or_nothing: full marks only when fully right (the seed papers' rule for "
        "MCQs); partial: marks in proportion; negative: wrong picks cost `penalty`.",
    )
    penalty: float = Field(
        default=DEFAULT_PENALTY,
        ge=0.0,
        description="negative policy: share of marks lost per wrong pick.",
    )
    floor: float = Field(default=0.0, description="negative policy: lowest score, in marks.")


class _Base(Strict):
    id: str = Field(pattern=ID_PATTERN, description="Stable id, e.g. `B2c`; parts: the part name.")
    marks: float = Field(gt=0, description="Marks this question (or part) is worth.")
    topic: str = Field(default="", description="Course topic, e.g. `attention`, `rlhf`.")
    prompt: str = Field(min_length=1, description="The question as printed, Markdown with $LaTeX$.")
    solution: str = Field(default="", description="Worked solution, shown once released.")
    params: dict[str, ParamSpec] = Field(
        default_factory=dict,
        description="Randomizable parameters, referenced as {{ name }} in text and $name in refs.",
    )
    scoring: Scoring = Field(default_factory=Scoring, description="Scoring policy.")
    constraints: list[RefCall] = Field(
        default_factory=list,
        description="Reference calls that must return true for a variant's parameters (no zero "
        "division, options a tolerance apart, ...); parameters are redrawn until they do.",
    )


class Option(Strict):
    """One option of a multiple-correct question."""

    label: str | None = Field(
        default=None, pattern=r"^[A-Z]$", description="Letter; defaults to A, B, C, ... in order."
    )
    text: str = Field(min_length=1, description="Option text (Markdown, {{ params }} allowed).")
    correct: bool | RefCall = Field(
        description="Whether the option is correct, "
        "or a reference call that decides it per variant."
    )
    explanation: str = Field(default="", description="Why it is (in)correct, shown in feedback.")


class McqQuestion(_Base):
    """Multiple-correct multiple-choice question."""

    type: Literal["mcq"] = Field(description="Multiple-correct MCQ.")
    options: list[Option] = Field(
        min_length=2, max_length=26, description="The options, in print order."
    )
    shuffle: bool = Field(default=False, description="Shuffle options in randomized variants.")

    @model_validator(mode="after")
    def _labels(self) -> Self:
        dupes = repeated(self.labels)
        if dupes:
            raise ValueError(f"option labels repeat: {', '.join(dupes)}")
        fixed = [o.correct for o in self.options if isinstance(o.correct, bool)]
        if len(fixed) == len(self.options) and not any(fixed):
            raise ValueError("no option is marked correct")
        return self

    @property
    def labels(self) -> list[str]:
        """Option labels in print order."""
        return [o.label or chr(ord("A") + i) for i, o in enumerate(self.options)]


class Tolerance(Strict):
    """|got - expected| <= abs + rel * |expected|."""

    abs: float = Field(default=0.0, ge=0.0, description="Absolute tolerance.")
    rel: float = Field(default=1e-6, ge=0.0, description="Relative tolerance.")


class Distractor(Strict):
    """A wrong value a common mistake gives, and what to tell a student who wrote it."""

    value: float | int | list[Any] = Field(
        description="The wrong value (a number, or nested list), matched with the question's "
        "tolerance."
    )
    message: str = Field(
        min_length=1,
        description="Student-facing: the mistake that gives this value, in the author's words.",
    )


class NumericQuestion(_Base):
    """A number, vector or matrix answer."""

    type: Literal["numeric"] = Field(description="Numeric answer.")
    answer: float | int | list[Any] | RefCall = Field(
        description="The key: a number, nested list, or a reference call computing it."
    )
    tolerance: Tolerance = Field(default_factory=Tolerance, description="Accepted error.")
    unit: str = Field(default="", description="Unit shown after the answer box, if any.")
    distractors: list[Distractor] = Field(
        default_factory=list,
        description="Known wrong values with a message naming the mistake; a wrong answer "
        "matching one gets its message.",
    )


class Variable(Strict):
    """A symbol an expression answer may use."""

    positive: bool = Field(default=False, description="Declared positive (sampled from (0.5, 3)).")
    integer: bool = Field(default=False, description="Declared integer.")
    nonnegative: bool = Field(default=False, description="Declared >= 0.")
    real: bool = Field(default=True, description="Declared real.")
    constant: bool = Field(
        default=False,
        description="An arbitrary constant (like `c` in `f + c`): one value at every sample point.",
    )
    aliases: list[str] = Field(
        default_factory=list, description="Other spellings accepted, e.g. `\\pi^*` for pi_star."
    )
    description: str = Field(default="", description="What the symbol means.")


class FormulaDistractor(Strict):
    """A wrong formula a common mistake gives, and what to tell a student who wrote it."""

    formula: str = Field(
        min_length=1,
        description="The wrong formula, compared as the key is (the question's equivalence).",
    )
    message: str = Field(
        min_length=1,
        description="Student-facing: the mistake that gives this formula, in the author's words.",
    )


class ExpressionQuestion(_Base):
    """A formula or big-O answer checked symbolically and at random points."""

    type: Literal["expression"] = Field(description="Symbolic answer.")
    answer: str = Field(min_length=1, description="The key in plain math syntax, e.g. `2*n*r`.")
    variables: dict[str, Variable] = Field(
        default_factory=dict, description="Symbols the answer may use, with assumptions."
    )
    equivalence: Literal["exact", "additive_constant", "multiplicative_constant", "asymptotic"] = (
        Field(default="exact", description="What counts as the same answer; asymptotic is big-O.")
    )
    functions: list[str] = Field(
        default_factory=lambda: ["log", "exp", "sqrt"],
        description="Functions the answer may apply (e.g. sigma, log).",
    )
    allow_sum: bool = Field(default=False, description="Whether `sum(...)` may be used.")
    accepted_forms: list[str] = Field(
        default_factory=list,
        description="Other correct keys, e.g. one counting K and V separately.",
    )
    distractors: list[FormulaDistractor] = Field(
        default_factory=list,
        description="Known wrong formulas with a message naming the mistake; a wrong answer "
        "equal to one gets its message.",
    )


class OrderingQuestion(_Base):
    """Put labelled steps in order."""

    type: Literal["ordering"] = Field(description="Ordering answer.")
    steps: dict[str, str] = Field(min_length=2, description="Label -> step text, listed shuffled.")
    answer: list[str] = Field(min_length=2, description="Labels in the correct order.")
    partial: bool = Field(default=False, description="Give credit for partly right orders.")

    @model_validator(mode="after")
    def _answer_uses_steps(self) -> Self:
        if sorted(self.answer) != sorted(self.steps):
            raise ValueError(
                "answer must list every step label once: "
                f"steps {sorted(self.steps)}, answer {self.answer}"
            )
        return self


class RubricPoint(Strict):
    """One point a good explanation makes.

    The keyword rubric finds a point by its ``keywords``; the text model (the ``text``
    extra) by its ``description``, ``examples`` and ``counter_examples``. A point without
    keywords is left to the model or a TA.
    """

    id: str = Field(pattern=ID_PATTERN, description="Short id, e.g. `permutation-invariance`.")
    marks: float = Field(gt=0, description="Marks for making this point.")
    description: str = Field(min_length=1, description="The point, as a TA would state it.")
    keywords: list[list[str]] = Field(
        default_factory=list,
        description="Optional alternatives; each a list of words/phrases that must all appear "
        "(case-insensitive). Without them only the text model or a TA can find the point.",
    )
    examples: list[str] = Field(
        default_factory=list, description="Optional answers that earn this point."
    )
    counter_examples: list[str] = Field(
        default_factory=list,
        description="Optional answers that look close to this point but do not earn it.",
    )

    @model_serializer(mode="wrap")
    def _omit_empty_examples(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A point without examples dumps as before, so question hashes of existing banks
        # (and with them the gradebooks graded from them) stay the same.
        data: dict[str, Any] = handler(self)
        for key in ("examples", "counter_examples"):
            if not data.get(key):
                data.pop(key, None)
        return data


class TextQuestion(_Base):
    """Free-text explanation: provisional rubric score, then TA review."""

    type: Literal["text"] = Field(description="Explanation graded against a rubric.")
    rubric: list[RubricPoint] = Field(min_length=1, description="Points and their marks.")
    max_words: int = Field(default=400, gt=0, description="Advised length.")
    mark_step: float | None = Field(
        default=None,
        gt=0,
        description="Suggested and reviewed marks are multiples of this (default 0.5).",
    )

    @model_serializer(mode="wrap")
    def _omit_default_step(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Without a step the question dumps as before: existing question hashes stay.
        data: dict[str, Any] = handler(self)
        if data.get("mark_step") is None:
            data.pop("mark_step", None)
        return data

    @model_validator(mode="after")
    def _rubric_adds_up(self) -> Self:
        total = sum(p.marks for p in self.rubric)
        if abs(total - self.marks) > MARKS_EPS:
            raise ValueError(
                f"rubric marks add up to {total:g} but the question is worth {self.marks:g}"
            )
        return self


class Tolerances(Strict):
    """rtol/atol for one dtype."""

    rtol: float = Field(ge=0.0, description="Relative tolerance.")
    atol: float = Field(ge=0.0, description="Absolute tolerance.")


class CompareSpec(Strict):
    """How a student's output is compared with the reference's."""

    rule: Literal["exact", "allclose", "tokens", "set", "custom"] = Field(
        default="allclose", description="Comparison rule."
    )
    custom: str | None = Field(
        default=None, pattern=REF_PATTERN, description="`module:function` for rule `custom`."
    )
    tolerances: dict[str, Tolerances] = Field(
        default_factory=dict, description="Per-dtype overrides of the default tolerances."
    )

    @model_validator(mode="after")
    def _custom_named(self) -> Self:
        if (self.rule == "custom") != (self.custom is not None):
            raise ValueError("rule `custom` needs `custom: module:function`, and only it")
        return self


class LimitsSpec(Strict):
    """Resource limits for one run of the student's code."""

    cpu_seconds: float = Field(
        default=1.0,
        gt=0,
        description="CPU seconds per case (course functions on small tensors need milliseconds).",
    )
    wall_seconds: float = Field(default=20.0, gt=0, description="Wall seconds for the whole job.")
    memory_mb: int = Field(default=4096, gt=64, description="Memory limit in MiB.")


class ComplexitySpec(Strict):
    """Asymptotic-cost check: FLOPs counted at growing sizes and, optionally, CPU time measured
    at growing sizes; growth compared to the reference's."""

    dim: str = Field(description="Dimension that grows (a name used in the case shapes).")
    sizes: list[int] = Field(min_length=3, description="Sizes at which FLOPs are counted.")
    args: dict[str, Any] = Field(description="Argument generators, as in hidden cases.")
    dims: dict[str, int] = Field(default_factory=dict, description="Other dimensions, fixed.")
    slack: float = Field(
        default=0.3,
        ge=0.0,
        description="Allowed excess of the growth exponent over the reference's.",
    )
    timing_sizes: list[int] | None = Field(
        default=None,
        min_length=2,
        description=(
            "Sizes at which CPU time is measured from outside the student's process (FLOPs are "
            "counted inside it, so a count could be tampered with); pick them large enough that "
            "the work, not per-call overhead, dominates (tens of ms at the largest). Omit when the "
            "task is too small to time."
        ),
    )
    timing_slack: float = Field(
        default=0.5,
        ge=0.0,
        description="Allowed excess of the CPU-time growth exponent over the reference's.",
    )


class Mutant(Strict):
    """A known-wrong version of the reference, and what to tell a student whose code
    behaves like it."""

    fn: str = Field(
        pattern=REF_PATTERN,
        description="`module:function`: the wrong version, found like the reference.",
    )
    message: str = Field(
        default="",
        description="Student-facing: the mistake, in the author's words (e.g. 'Your weights "
        "match softmax without the 1/sqrt(d_k) scaling'); `grader validate` requires it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_reference(cls, value: Any) -> Any:
        """A bare `module:function` is a mutant without a message (validate reports it)."""
        return {"fn": value} if isinstance(value, str) else value


class CaseGroup(Strict):
    """Cases that earn marks together: all or nothing, or in proportion to the weight of
    those that pass."""

    name: str = Field(min_length=1, description="Shown to students with what the group earned.")
    cases: list[str] = Field(
        min_length=1,
        description="Names of visible and `hidden.extra` cases; "
        f"`{RANDOM_CASES}` stands for the seeded random hidden cases.",
    )
    marks: float = Field(gt=0, allow_inf_nan=False, description="Marks the group is worth.")
    scoring: Literal["all_or_nothing", "proportional"] = Field(
        default="all_or_nothing",
        description="all_or_nothing: the marks only when every case passes; proportional: "
        "the marks times the passing cases' share of the group's weight.",
    )


class CodeQuestion(_Base):
    """A function the student writes, run in a sandbox against visible and hidden cases."""

    type: Literal["code"] = Field(description="Code answer.")
    file: str = Field(pattern=r"^[A-Za-z0-9_]+\.py$", description="File the student submits.")
    function: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Function to call.")
    stub: str = Field(min_length=1, description="Starting code with signature and docstring.")
    reference: str = Field(
        pattern=REF_PATTERN,
        description="`module:function` computing outputs, in the course's `references:` "
        "folders or under reference_impls.",
    )
    support: list[str] = Field(
        default_factory=list,
        description="Support modules (paths relative to the bank) students may import; not secret.",
    )
    visible: list[CaseSpec] = Field(default_factory=list, description="Cases shown to students.")
    hidden: HiddenCases | None = Field(default=None, description="Cases run only at grading.")
    compare: CompareSpec = Field(default_factory=CompareSpec, description="Output comparison.")
    limits: LimitsSpec = Field(default_factory=LimitsSpec, description="Resource limits.")
    device: Literal["cpu", "cuda", "auto"] = Field(default="cpu", description="Where cases run.")
    forbid: list[Literal["autograd"]] = Field(
        default_factory=list, description="APIs the code may not use (enforced in the sandbox)."
    )
    complexity: ComplexitySpec | None = Field(default=None, description="Asymptotic-cost check.")
    determinism: bool = Field(default=False, description="Run one case twice; outputs must match.")
    mutants: list[Mutant] = Field(
        default_factory=list,
        description="Known-wrong variants ({fn: `module:function`, message: ...}); validate "
        "fails if any passes the hidden cases; a failing answer that behaves like one gets "
        "its message.",
    )
    groups: list[CaseGroup] = Field(
        default_factory=list,
        description="Marks per group of cases instead of for the question as a whole; cases "
        "in no group form an implicit 'other cases' group worth the marks the groups leave.",
    )

    @model_validator(mode="after")
    def _has_cases(self) -> Self:
        if not self.visible and self.hidden is None:
            raise ValueError("a code question needs visible cases, hidden cases, or both")
        return self

    @field_validator("groups")
    @classmethod
    def _groups_fit_the_cases(
        cls, groups: list[CaseGroup], info: ValidationInfo
    ) -> list[CaseGroup]:
        if groups:
            problem = group_problem(groups, info.data)
            if problem is not None:
                raise ValueError(problem)
        return groups


PartQuestion = Annotated[
    McqQuestion
    | NumericQuestion
    | ExpressionQuestion
    | OrderingQuestion
    | TextQuestion
    | CodeQuestion,
    Field(discriminator="type"),
]


class MultipartQuestion(_Base):
    """A question with several named asks; the answer maps part name -> answer."""

    type: Literal["multipart"] = Field(description="Named parts.")
    parts: list[PartQuestion] = Field(min_length=1, description="The parts; each `id` is its name.")
    prompt: str = Field(default="", description="Shared stem printed before the parts.")

    @model_validator(mode="after")
    def _parts_add_up(self) -> Self:
        dupes = repeated(p.id for p in self.parts)
        if dupes:
            raise ValueError(f"part names repeat: {', '.join(dupes)}")
        total = sum(p.marks for p in self.parts)
        if abs(total - self.marks) > MARKS_EPS:
            raise ValueError(
                f"parts add up to {total:g} marks but the question is worth {self.marks:g}"
            )
        return self


Question = Annotated[
    McqQuestion
    | NumericQuestion
    | ExpressionQuestion
    | OrderingQuestion
    | TextQuestion
    | CodeQuestion
    | MultipartQuestion,
    Field(discriminator="type"),
]

QUESTION_TYPES: tuple[str, ...] = (
    "mcq",
    "numeric",
    "expression",
    "ordering",
    "text",
    "code",
    "multipart",
)
