"""ZeRO memory and communication against the mid-semester table and the ZeRO paper."""

from __future__ import annotations

import pytest
import sympy

from reference_impls.zero import (
    SHARDED,
    N,
    P,
    zero_communication_expr,
    zero_communication_volume,
    zero_memory_bytes,
    zero_memory_expr,
    zero_table,
)


def test_memory_expressions_match_the_mid_semester_table() -> None:
    # Question 5(b): stage 1: 2P + 2P + 12P/N; stage 2: 2P + (2P + 12P)/N; stage 3: (2P+2P+12P)/N
    seed = {
        1: 2 * P + 2 * P + 12 * P / N,
        2: 2 * P + (2 * P + 12 * P) / N,
        3: (2 * P + 2 * P + 12 * P) / N,
    }
    for stage, expected in seed.items():
        assert sympy.simplify(zero_memory_expr(stage) - expected) == 0


def test_baseline_data_parallel_holds_16_bytes_per_parameter() -> None:
    assert sympy.simplify(zero_memory_expr(0) - 16 * P) == 0


def test_communication_matches_the_mid_semester_table() -> None:
    assert [zero_communication_expr(s) for s in (0, 1, 2, 3)] == [2 * P, 2 * P, 2 * P, 3 * P]
    assert zero_communication_volume(3, 1_000) == 3_000


def test_sharded_components_grow_stage_by_stage_as_in_the_seed_table() -> None:
    assert SHARDED[1] == ("batch", "optimizer states")
    assert SHARDED[2] == ("batch", "optimizer states", "gradients")
    assert SHARDED[3] == ("batch", "optimizer states", "gradients", "parameters")


def test_numbers_reproduce_the_zero_paper_7_5b_on_64_gpus_example() -> None:
    psi, nd = 7.5e9, 64
    expected_gb = {0: 120.0, 1: 31.4, 2: 16.6, 3: 1.9}
    for stage, gb in expected_gb.items():
        assert zero_memory_bytes(stage, psi, nd) / 1e9 == pytest.approx(gb, abs=0.05)
    assert zero_memory_bytes(1, psi, nd) == 4 * psi + 12 * psi / nd


def test_expressions_are_built_from_symbols_and_change_with_K() -> None:
    assert zero_memory_expr(3, K=8).free_symbols == {P, N}
    assert sympy.simplify(zero_memory_expr(1, K=8) - (4 * P + 8 * P / N)) == 0


def test_table_rows_cover_stages_zero_to_three() -> None:
    rows = zero_table()
    assert [r.stage for r in rows] == [0, 1, 2, 3]
    assert rows[2].memory == zero_memory_expr(2)


def test_unknown_stage_is_rejected() -> None:
    with pytest.raises(ValueError, match="stage must be"):
        zero_memory_expr(4)
