"""One table of bad inputs to the shared validators: each raises InvalidInput naming its field."""

import numpy as np
import pytest

from resproof import _validation as v
from resproof.errors import InvalidInput
from resproof.profiles import get_budget

BAD = [
    ("int-from-float", lambda: v.check_int("trials", 2.0), "trials"),
    ("int-from-bool", lambda: v.check_int("trials", True), "trials"),
    ("int-below-minimum", lambda: v.check_positive_int("trials", 0), "trials"),
    ("int-above-maximum", lambda: v.check_int("n", 9, maximum=3), "n"),
    ("negative-seed", lambda: v.check_seed("seed", -1), "seed"),
    ("real-nan", lambda: v.check_real("tol", float("nan")), "tol"),
    ("real-string", lambda: v.check_real("tol", "1e-3"), "tol"),
    ("real-not-positive", lambda: v.check_real("tol", 0.0, positive=True), "tol"),
    ("array-ragged", lambda: v.check_array("X", [[1.0], [1.0, 2.0]]), "X"),
    ("array-wrong-rank", lambda: v.check_array("X", np.zeros(3), ndim=2), "X"),
    ("array-wrong-shape", lambda: v.check_array("X", np.zeros((2, 3)), shape=(None, 4)), "X"),
    ("array-inf", lambda: v.check_array("X", [1.0, np.inf]), "X"),
    ("choice-typo", lambda: v.check_choice("size", "s", ["S", "M", "L"]), "size"),
    ("budget-typo", lambda: get_budget("standrad"), "budget"),
    ("type", lambda: v.check_type("name", 3, str, "a string"), "name"),
]


@pytest.mark.parametrize(("call", "field"), [(c, f) for _, c, f in BAD], ids=[i for i, _, _ in BAD])
def test_bad_input_names_its_field(call, field):
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_close_matches_are_offered():
    with pytest.raises(InvalidInput, match="did you mean 'standard'"):
        get_budget("standrad")
