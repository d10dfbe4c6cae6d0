"""quadratics(): eager validation and the structure it promises."""

import pytest
from hypothesis import given

from resproof.errors import InvalidInput
from resproof.strategies import quadratics


@given(quadratics(min_variables=1, max_variables=4, rank=1))
def test_rank_is_exact(q):
    assert q.rank() == 1
    assert all(q.A[i][j] == q.A[j][i] for i in range(q.n) for j in range(q.n))


@given(quadratics(max_variables=4, linear="inside"))
def test_inside(q):
    assert q.solve_half_linear() is not None


@given(quadratics(max_variables=4, linear="outside"))
def test_outside(q):
    assert q.rank() < q.n
    assert q.solve_half_linear() is None
    assert q.kernel_witness() is not None


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"min_variables": -1}, "min_variables"),
    ({"max_variables": 9}, "max_variables"),
    ({"min_variables": 3, "max_variables": 2}, "max_variables"),
    ({"rank": 5, "max_variables": 3}, "rank"),
    ({"linear": "inner"}, "linear"),
    ({"linear": "outside", "rank": 3, "max_variables": 3}, "rank"),
    ({"linear": "outside", "max_variables": 0}, "max_variables"),
    ({"max_coefficient": 0}, "max_coefficient"),
    ({"max_variables": 2.5}, "max_variables"),
], ids=["min-negative", "max-too-big", "min-above-max", "rank-above-n", "linear-typo",
        "outside-full-rank", "outside-no-variables", "coefficient-zero", "float-count"])
def test_eager_validation(kwargs, field):
    with pytest.raises(InvalidInput) as info:
        quadratics(**kwargs)
    assert info.value.field == field
