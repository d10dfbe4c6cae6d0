"""Certificates re-check from the polynomial and reject tampered data."""

from sympy import QQ, Symbol

from resproof.symbolic.certificates import KernelWitness, PencilDeterminant, PrincipalMinor
from resproof.symbolic.neurons import analyse
from resproof.symbolic.quadratic import parse_quadratic


def test_principal_minor_recomputes():
    q = parse_quadratic("x1**2 + x1*x2 + x2**2")
    assert PrincipalMinor(q, (0, 1)).verify()
    assert PrincipalMinor(q, (0, 1)).determinant() == QQ(3, 4)
    flat = parse_quadratic("(x1 + x2)**2")
    assert not PrincipalMinor(flat, (0, 1)).verify()
    assert not PrincipalMinor(q, (0, 0)).verify()
    assert not PrincipalMinor(q, (0, 5)).verify()


def test_kernel_witness_needs_exact_rank_and_kernel_vector():
    q = parse_quadratic("x1**2 + x2")
    assert KernelWitness(q, (0,), (QQ(0), QQ(1))).verify()
    assert not KernelWitness(q, (0,), (QQ(1), QQ(0))).verify()      # A z != 0
    inside = parse_quadratic("x1**2 + x1", [Symbol("x1"), Symbol("x2")])
    assert not KernelWitness(inside, (0,), (QQ(0), QQ(1))).verify()  # z . a == 0
    full = parse_quadratic("x1**2 + x2**2 + x1")
    assert not KernelWitness(full, (0,), (QQ(0), QQ(1))).verify()    # rank is 2, not 1


def test_pencil_must_not_depend_on_the_bias():
    q = parse_quadratic("x1*x2 + x3")
    cert = analyse(q).certificates["traditional"]
    assert isinstance(cert, PencilDeterminant)
    assert cert.verify()
    assert cert.bound == 4
    assert cert.determinants() == (QQ(1, 16), QQ(1, 16))   # -(z.a/2)^2 det A[S,S]
    one, zero = QQ(1), QQ(0)
    e = [tuple(one if i == j else zero for i in range(4)) for j in range(4)]
    # T = [e0, e1, e2]: det T^T (Q - c E00) T = c/4 vanishes at c = 0, so no bound.
    biased = PencilDeterminant(q, (e[0], e[1], e[2]))
    assert biased.determinants() == (zero, QQ(1, 4))
    assert not biased.verify()
    assert not PencilDeterminant(q, (e[0], e[1], (one, zero))).verify()   # wrong length


def test_certificate_json_has_kind_and_data():
    report = analyse("x1**2 + x2")
    for cert in report.certificates.values():
        doc = cert.to_json()
        assert set(doc) == {"kind", "bound", "data", "argument"}
