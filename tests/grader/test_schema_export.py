"""`grader schema`: the generated JSON Schema accepts good files and rejects bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from grader.cli import main
from grader.schema_export import json_schema

GOOD = Path(__file__).parent / "fixtures" / "good"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_accepts_the_good_bank(validator: jsonschema.Draft202012Validator) -> None:
    validator.validate(yaml.safe_load((GOOD / "bank.yaml").read_text()))


def test_schema_accepts_the_good_exam(validator: jsonschema.Draft202012Validator) -> None:
    validator.validate(yaml.safe_load((GOOD / "exam.yaml").read_text()))


def test_schema_rejects_an_unknown_key(validator: jsonschema.Draft202012Validator) -> None:
    data = yaml.safe_load((GOOD / "bank.yaml").read_text())
    data["questions"][0]["colour"] = "red"
    assert not validator.is_valid(data)


def test_schema_rejects_an_unknown_question_type(
    validator: jsonschema.Draft202012Validator,
) -> None:
    data = yaml.safe_load((GOOD / "bank.yaml").read_text())
    data["questions"][1]["type"] = "essay"
    assert not validator.is_valid(data)


def test_schema_fields_carry_descriptions() -> None:
    defs = json_schema()["$defs"]
    props = defs["McqQuestion"]["properties"]
    assert all(p.get("description") for p in props.values())


def test_grader_schema_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["oneOf"]


def test_a_rubric_point_needs_no_keywords_and_may_carry_examples(
    validator: jsonschema.Draft202012Validator,
) -> None:
    point = json_schema()["$defs"]["RubricPoint"]
    assert point["required"] == ["id", "marks", "description"]
    for name in ("keywords", "examples", "counter_examples"):
        assert point["properties"][name]["description"]
    data = yaml.safe_load((GOOD / "bank.yaml").read_text())
    (text,) = [q for q in data["questions"] if q["type"] == "text"]
    text["rubric"][1] = {
        "id": "raw",
        "marks": 1,
        "description": "Raw integers grow without bound.",
        "examples": ["position numbers get huge"],
        "counter_examples": ["positions are small"],
    }
    validator.validate(data)


def test_schema_accepts_grouped_and_weighted_code_cases(
    validator: jsonschema.Draft202012Validator,
) -> None:
    data = yaml.safe_load((GOOD / "bank.yaml").read_text())
    code = next(q for q in data["questions"] if q["type"] == "code")
    code["visible"][0]["weight"] = 2
    code["groups"] = [
        {"name": "seed", "cases": [code["visible"][0]["name"]], "marks": 1},
        {"name": "rest", "cases": ["random hidden cases"], "marks": 1, "scoring": "proportional"},
    ]
    validator.validate(data)
    code["groups"][1]["scoring"] = "sometimes"
    assert not validator.is_valid(data)
