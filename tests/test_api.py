"""The public surface is exactly ``__all__``, and importing resproof does no heavy work."""

import subprocess
import sys

import resproof


def test_all_names_resolve():
    for name in resproof.__all__:
        assert hasattr(resproof, name), name


def test_import_is_cheap():
    code = ("import sys, resproof; heavy = [m for m in ('numba', 'sympy', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_registered_claim_has_a_statement_and_controls():
    from resproof.claims import all_claims

    for claim in all_claims():
        assert claim.id, claim
        assert claim.statement, claim.id
        assert claim.source, claim.id
        assert claim.controls, f"{claim.id} has no control"
        assert len(set(claim.control_names())) == len(claim.controls)
