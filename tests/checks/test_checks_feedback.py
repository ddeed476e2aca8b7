"""What students are told: which option, the tolerance, the key in their own form."""

from __future__ import annotations

from grader.checks import check_expression, check_mcq, check_numeric, check_ordering, check_text

A1 = {"options": ["A", "B", "C", "D", "E"], "correct": ["A", "D"]}
P = {"positive": True}


def test_mcq_before_release_says_only_not_all_options_correct() -> None:
    result = check_mcq("A, B", **A1)
    assert "Not all options correct" in result.feedback
    assert "B" not in result.feedback.replace("Not all", "")
    assert result.expected is None


def test_mcq_after_release_names_wrong_and_missed_options() -> None:
    result = check_mcq("A, B", **A1, reveal_key=True)
    assert "B is not correct" in result.feedback
    assert "D is also correct" in result.feedback
    assert result.expected == "A, D"


def test_mcq_records_the_selection_for_the_scoring_policy() -> None:
    result = check_mcq("b a", **A1)
    assert result.mcq is not None
    assert result.mcq.selected == ("A", "B")
    assert result.mcq.correct == ("A", "D")
    assert (result.mcq.right_picks, result.mcq.wrong_picks, result.mcq.missed) == (1, 1, 1)
    assert result.fraction == 0.0


def test_mcq_unknown_letter_names_the_letter_and_the_options() -> None:
    result = check_mcq("A, F", **A1)
    assert result.status == "invalid"
    assert "'F' is not an option" in result.feedback
    assert "A, B, C, D, E" in result.feedback


def test_mcq_empty_answer_says_no_option_selected() -> None:
    result = check_mcq([], **A1)
    assert result.feedback == "No option selected."
    assert result.answered is False


def test_numeric_wrong_answer_states_the_tolerance_but_not_the_key_before_release() -> None:
    result = check_numeric("0.145", expected=-0.145, rtol=1e-3)
    assert "relative 0.001" in result.feedback
    assert "0.145" in result.feedback
    assert "-0.145" not in result.feedback
    assert result.expected is None


def test_numeric_key_is_shown_as_a_fraction_to_a_student_who_wrote_a_fraction() -> None:
    result = check_numeric("29/200", expected=-0.145, reveal_key=True)
    assert "The expected value is -29/200." in result.feedback
    assert result.expected == "-29/200"


def test_numeric_key_is_shown_with_thousands_separators_to_a_student_who_used_them() -> None:
    result = check_numeric("124,356,000", expected=124356864, rtol=0.0, reveal_key=True)
    assert result.expected == "124,356,864"


def test_numeric_key_is_shown_as_a_percentage_to_a_student_who_wrote_one() -> None:
    result = check_numeric("15%", expected=-0.145, reveal_key=True)
    assert result.expected == "-14.5%"


def test_numeric_shape_mismatch_is_reported_as_such() -> None:
    result = check_numeric([0.8, 0.5], expected=[0.8, 0.5, 0.0])
    assert result.feedback == "Expected a vector of 3 numbers, got a vector of 2 numbers."


def test_numeric_matrix_shape_mismatch_names_both_shapes() -> None:
    result = check_numeric([[1, 2, 3]], expected=[[1, 0], [0, 1]])
    assert "Expected a 2×2 matrix, got a 1×3 matrix." == result.feedback


def test_numeric_decimal_comma_gets_a_hint() -> None:
    result = check_numeric("1,5", expected=1.5)
    assert "use a point" in result.feedback


def test_numeric_vector_feedback_names_wrong_entries_only_after_release() -> None:
    before = check_numeric([0.8, 0.5, 0.1], expected=[0.8, 0.5, 0.0], atol=1e-6)
    after = check_numeric([0.8, 0.5, 0.1], expected=[0.8, 0.5, 0.0], atol=1e-6, reveal_key=True)
    assert "1 of 3 entries" in before.feedback and "Wrong entries" not in before.feedback
    assert "Wrong entries (in reading order): 3" in after.feedback
    assert before.fraction == 2 / 3


def test_expression_unknown_symbol_lists_the_names_the_answer_may_use() -> None:
    result = check_expression("x + d_k", expected="d_k", variables={"d_k": P, "n": P})
    assert result.status == "invalid"
    assert "unknown symbol 'x'; this answer may use: d_k, n" in result.feedback


def test_expression_function_outside_the_whitelist_is_named() -> None:
    result = check_expression("tanh(n)", expected="n", variables={"n": P}, functions=("log",))
    assert "the function 'tanh' is not allowed in this answer (allowed: log)" in result.feedback


def test_expression_key_is_shown_in_latex_to_a_student_who_wrote_latex() -> None:
    result = check_expression(
        "\\frac{n}{r}", expected="2*n*r", variables={"n": P, "r": P}, reveal_key=True
    )
    assert result.expected is not None and "\\cdot" in result.expected


def test_expression_key_is_shown_as_written_to_a_student_who_wrote_plain_math() -> None:
    result = check_expression("n/r", expected="2*n*r", variables={"n": P, "r": P}, reveal_key=True)
    assert result.expected == "2*n*r"


def test_expression_off_by_a_constant_factor_is_pointed_out() -> None:
    result = check_expression("n r", expected="2*n*r", variables={"n": P, "r": P})
    assert "constant factor" in result.feedback


def test_asymptotic_answer_that_is_not_tight_is_called_so() -> None:
    result = check_expression(
        "O(L d T^3)", expected="O(L d T^2)", variables={"L": P, "d": P, "T": P}, mode="asymptotic"
    )
    assert "not tight" in result.feedback
    assert "O(L T^3 d)" in result.feedback


def test_ordering_reports_left_out_steps_and_relative_order() -> None:
    result = check_ordering("A, C", expected=["A", "B", "C"], partial=True)
    assert "leaves out B" in result.feedback
    assert "2 of 3 steps" in result.feedback
    assert result.fraction == 2 / 3


def test_ordering_reveals_the_right_order_after_release() -> None:
    result = check_ordering("C, B, A", expected=["A", "B", "C"], reveal_key=True)
    assert "The right order is A > B > C." in result.feedback


RUBRIC = [
    {
        "id": "kl",
        "marks": 2,
        "description": "names the KL penalty",
        "keywords": [["kl"], ["kullback leibler"]],
    },
    {
        "id": "ref",
        "marks": 1,
        "description": "mentions the reference model",
        "keywords": ["reference model"],
    },
]


def test_text_lists_found_and_missing_points_and_flags_for_review() -> None:
    result = check_text("We add a KL-divergence term.", rubric=RUBRIC)
    assert result.status == "needs_review"
    assert result.rubric_found == ("kl",)
    assert result.fraction == 2 / 3
    assert "a TA will review this answer" in result.feedback
    assert "Points found: names the KL penalty." in result.feedback
    assert "Points not found: mentions the reference model." in result.feedback


def test_text_matching_ignores_case_punctuation_and_word_endings() -> None:
    rubric = [
        {
            "id": "p",
            "marks": 1,
            "description": "penalises drift",
            "keywords": [["penalise", "drifting"]],
        }
    ]
    result = check_text("It PENALISES the policy when it drifts.", rubric=rubric)
    assert result.rubric_found == ("p",)


def test_text_phrase_must_appear_as_a_contiguous_run_of_words() -> None:
    result = check_text("The model of reference.", rubric=RUBRIC)
    assert "ref" not in result.rubric_found


def test_text_longer_than_the_limit_is_read_up_to_the_limit() -> None:
    result = check_text("kl " + "x" * 100 + " reference model", rubric=RUBRIC, max_length=50)
    assert result.rubric_found == ("kl",)
    assert "Only the first 50 characters were read." in result.feedback
