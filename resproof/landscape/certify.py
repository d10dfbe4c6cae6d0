"""Independent high-precision re-check of a refutation, certified one-sidedly.

A refutation is a sign: "``Q > threshold`` refutes" (``eps > 0``, a gap above
``R_lin``, ...) or "``Q < threshold`` refutes".  It is certified only when the
certified interval ``[margin - error, margin + error]`` of ``margin = Q -
threshold`` lies entirely on the refuting side (``refutes="above"``: lower end
``> 0``; ``"below"``: upper end ``< 0``), never on ``|margin| > error``, which
would also "certify" a quantity confidently on the wrong side.

A float64 search says "here is a critical point where the claimed quantity is
on the wrong side of its threshold".  Certification re-does the decisive steps
in ``dps``-digit arithmetic (mpmath) or exactly (Fractions) through a separate
interface, :class:`HighPrecisionObjective`, which the claims implement for
their polynomial-in-parameters losses.

Critical points (:func:`certify_critical_point`)
------------------------------------------------
1. *Refine* ``theta`` by chord Newton in mpmath: ``theta <- theta - M g(theta)``
   with ``M = V_N diag(1/w_N) V_N^T`` the pseudo-inverse of the float Hessian
   restricted to its non-null space ``N^perp`` (eigenvalues above the zero
   threshold of :mod:`~resproof.landscape.classify`).  The null space holds the
   exact symmetric zero modes, on which Newton is singular.  Each step gains
   roughly ``-log10(cond * ||theta - theta_0||)`` digits; iteration stops when
   ``||g||`` no longer drops or reaches ``10^(5 - dps)``.
2. *Bound the distance* to a true critical point.  On the affine slice
   ``theta_hat + N^perp`` Newton-Kantorovich applies with ``beta = 1/gamma``
   (``gamma`` = smallest ``|lambda|`` on ``N^perp``) and ``eta = ||g|| / gamma``:
   if ``h = L beta eta <= 1/2`` (``L`` a Lipschitz constant of the Hessian on
   the ball), a critical point of the slice lies within ``2 eta``.  It is a
   critical point of ``f`` when ``N`` is spanned by exact symmetry directions
   (then ``g`` has no component along them).  ``gamma`` comes from ``eigh`` of
   the Hessian at ``theta_hat`` rounded to float64, lowered by a Weyl bound
   ``||H - fl(H)||_F + 4 P eps ||H||_2`` (the second term is LAPACK's backward
   error, standard but not a proven constant).
3. *Evaluate* the quantity at ``theta_hat`` and bound its error by
   ``2 ||grad Q|| * 2 eta`` (``grad Q`` by central differences in mpmath,
   step ``10^(-dps/3)``) plus ``10^(10 - dps) max(1, |Q|)`` for rounding.
4. *Certify* iff the refinement converged and the interval
   ``Q - threshold +- bound`` lies on the refuting side of ``0``.

What is rigorous and what is not: the residual ``||g(theta_hat)||`` is exact
to ``dps`` digits.  The distance bound is rigorous when ``hessian_lipschitz``
is given, the Kantorovich test passes, and the null space is symmetric (the
caller's statement, recorded in ``details["assumes"]``).  Without
``hessian_lipschitz`` the bound uses ``L ~ 10 s / max(1, ||theta||)`` and is
an estimate (``details["rigorous"] = False``).  With margins of order ``1e-3``
and errors of order ``1e-40`` the difference rarely matters, and the record
says which it was.

Exact rationals: when ``theta`` is given as Fractions (or ints) and the
objective offers ``exact_grad`` / ``exact_hessian`` (lists of Fractions), the
check is exact: ``g == 0`` exactly, the quantity and the Rayleigh quotient are
Fractions, ``error_bound = 0``, and the interval is the point ``margin``.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, Literal, Protocol, runtime_checkable

import mpmath
import numpy as np

from .._validation import check_int
from ..errors import InvalidInput
from ..results import from_json_float, to_jsonable
from .classify import zero_tolerance

_EPS = float(np.finfo(np.float64).eps)
Side = Literal["above", "below"]
_SIDES = ("above", "below")


def on_refuting_side(margin: Any, error: Any, refutes: Side) -> bool:
    """Whether ``[margin - error, margin + error]`` lies strictly on the refuting side of 0.

    ``refutes="above"``: ``margin - error > 0``; ``"below"``: ``margin + error < 0``.
    A non-finite ``error`` or ``margin`` never certifies.
    """
    margin, error = float(margin), float(error)
    if not (np.isfinite(margin) and np.isfinite(error)) or error < 0:
        return False
    return margin - error > 0 if refutes == "above" else margin + error < 0


@runtime_checkable
class HighPrecisionObjective(Protocol):
    """``f`` evaluated in mpmath at the working precision of the caller's context.

    ``theta`` is a list of ``mpf`` (or Fractions / ints); ``mp_grad`` returns a
    ``P x 1`` :class:`mpmath.matrix`, ``mp_hessian`` a ``P x P`` one.
    Optional, for exact checks: ``exact_grad(theta) -> list[Fraction]`` and
    ``exact_hessian(theta) -> list[list[Fraction]]``.
    """

    n_params: int

    def mp_loss(self, theta: list) -> Any: ...

    def mp_grad(self, theta: list) -> Any: ...

    def mp_hessian(self, theta: list) -> Any: ...


#: A point or direction: a list (of floats, mpf or Fractions) or a float64 array.
Vector = Sequence[Any] | np.ndarray

@dataclasses.dataclass(frozen=True)
class Certificate:
    """The outcome of a high-precision re-check.

    ``margin`` is signed (``quantity - threshold``, or ``-rayleigh`` for
    negative curvature); ``refutes`` is the side of 0 on which ``margin``
    refutes (``"above"`` or ``"below"``); ``certified`` iff every step of the
    re-check succeeded and the certified interval ``[lower, upper] = margin -+
    error_bound`` lies entirely on that side (one-sided: a margin confidently
    on the wrong side is not certified).  ``details`` holds the numbers behind
    it (residuals, ``gamma``, whether the bound is rigorous).
    """

    certified: bool
    margin: float
    error_bound: float
    dps: int
    method: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    refutes: Side = "above"

    @property
    def lower(self) -> float:
        """Lower end of the certified interval of ``margin``."""
        return self.margin - self.error_bound

    @property
    def upper(self) -> float:
        """Upper end of the certified interval of ``margin``."""
        return self.margin + self.error_bound

    @property
    def bound(self) -> float:
        """The certified bound on the refuting side: ``lower`` for ``"above"``, ``upper``
        for ``"below"`` (a refutation is certified iff it is strictly beyond 0)."""
        return self.lower if self.refutes == "above" else self.upper

    def to_json(self) -> dict[str, Any]:
        return {**to_jsonable(self), "interval": [self.lower, self.upper]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Certificate:
        data = {k: v for k, v in data.items() if k != "interval"}
        data["margin"] = from_json_float(data["margin"])
        data["error_bound"] = from_json_float(data["error_bound"])
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Refinement:
    """A critical point refined in mpmath, with the numbers of its distance bound."""

    theta: list
    grad_norm: Any
    gamma: float
    distance_bound: float
    rigorous: bool
    converged: bool
    history: list[float]
    null_dimension: int


def refine_high_precision(hp: HighPrecisionObjective, theta: Vector, *, dps: int = 50,
                          max_iterations: int = 40,
                          hessian_lipschitz: float | None = None) -> Refinement:
    """Chord Newton on ``N^perp`` in ``dps`` digits, with the distance bound (module docstring).

    Must be called inside ``mpmath.workdps(dps)`` or lets this function set it.
    """
    with mpmath.workdps(dps):
        x = [_to_mpf(t) for t in theta]
        g = _column(hp.mp_grad(x))
        H = _to_float(hp.mp_hessian(x))
        w, V = np.linalg.eigh(0.5 * (H + H.T))
        gn0 = float(mpmath.norm(mpmath.matrix(g)))
        tau = zero_tolerance(w, grad_norm=gn0, theta_norm=float(np.linalg.norm(
            [float(t) for t in x])))
        keep = np.abs(w) > tau
        M = mpmath.matrix(((V[:, keep] / w[keep]) @ V[:, keep].T).tolist())
        history = [gn0]
        target = mpmath.mpf(10) ** (5 - dps) * max(1.0, float(np.max(np.abs(w))))
        converged = False
        for _ in range(max_iterations):
            if history[-1] <= target:
                converged = True
                break
            step = M * mpmath.matrix(g)
            trial = [x[i] - step[i] for i in range(len(x))]
            g_trial = _column(hp.mp_grad(trial))
            gn = float(mpmath.norm(mpmath.matrix(g_trial)))
            if not gn < history[-1]:
                break
            x, g = trial, g_trial
            history.append(gn)
        converged = converged or history[-1] <= target
        return _distance_bound(hp, x, g, history, converged, hessian_lipschitz)


def _distance_bound(hp: HighPrecisionObjective, x: list, g: list, history: list[float],
                    converged: bool, hessian_lipschitz: float | None) -> Refinement:
    H_mp = hp.mp_hessian(x)
    H = _to_float(H_mp)
    H = 0.5 * (H + H.T)
    P = H.shape[0]
    rounding = float(mpmath.sqrt(sum((H_mp[i, j] - mpmath.mpf(H[i, j])) ** 2
                                     for i in range(P) for j in range(P))))
    w, _V = np.linalg.eigh(H)
    s = float(np.max(np.abs(w))) if w.size else 0.0
    weyl = rounding + 4 * P * _EPS * s
    gn = mpmath.norm(mpmath.matrix(g))
    theta_norm = float(mpmath.norm(mpmath.matrix(x)))
    tau = max(zero_tolerance(w, theta_norm=theta_norm), 2 * weyl)
    nonnull = np.abs(w) > tau
    if not np.any(nonnull):
        return Refinement(x, gn, 0.0, np.inf, False, False, history, P)
    gamma = float(np.min(np.abs(w[nonnull]))) - weyl
    eta = float(gn) / gamma
    lipschitz = hessian_lipschitz if hessian_lipschitz is not None \
        else 10 * s / max(1.0, theta_norm)
    kantorovich = lipschitz * eta / gamma <= 0.5
    rigorous = hessian_lipschitz is not None and kantorovich
    return Refinement(x, gn, gamma, 2 * eta if kantorovich else np.inf, rigorous,
                      converged and kantorovich, history, int(P - np.sum(nonnull)))


def certify_critical_point(hp: HighPrecisionObjective, theta: Vector,
                           quantity: Callable[[list], Any], threshold: Any, *, dps: int = 50,
                           hessian_lipschitz: float | None = None,
                           quantity_lipschitz: float | None = None,
                           max_iterations: int = 40, refutes: Side = "above") -> Certificate:
    """Certify ``quantity(theta*)`` on the refuting side of ``threshold`` at the critical
    point ``theta*`` near ``theta``.

    Parameters
    ----------
    hp
        The objective in high precision.
    theta
        The float64 (or Fraction) critical point found by the search.
    quantity
        ``Q(theta) -> mpf`` (or Fraction), evaluated in the caller's working
        precision (e.g. ``eps = R(theta) - min(PA_phi)``).
    threshold
        The value ``Q`` is compared with (e.g. ``0``).
    dps
        Decimal digits (at least 30).
    hessian_lipschitz, quantity_lipschitz
        Lipschitz constants on a ball around ``theta``, for a rigorous bound;
        estimated otherwise (see module docstring).
    refutes
        ``"above"`` when ``Q > threshold`` is the refutation (``eps > 0``),
        ``"below"`` when ``Q < threshold`` is.

    Returns
    -------
    Certificate
        ``margin = Q - threshold``; certified iff the refinement converged and
        ``margin - error_bound > 0`` (``"above"``) or ``margin + error_bound < 0``
        (``"below"``).
    """
    dps = check_int("dps", dps, minimum=30)
    refutes = check_side(refutes)
    _check_hp(hp, theta)
    if _is_exact(theta) and hasattr(hp, "exact_grad"):
        return _certify_exact_critical(hp, theta, quantity, threshold, refutes)
    ref = refine_high_precision(hp, theta, dps=dps, max_iterations=max_iterations,
                                hessian_lipschitz=hessian_lipschitz)
    with mpmath.workdps(dps):
        Q = mpmath.mpf(quantity(ref.theta))
        slope = quantity_lipschitz if quantity_lipschitz is not None \
            else 2 * float(_gradient_norm(quantity, ref.theta, dps))
        rounding = float(mpmath.mpf(10) ** (10 - dps) * max(1, abs(Q)))
        error = slope * ref.distance_bound + rounding
        margin = Q - mpmath.mpf(_to_mpf(threshold))
        certified = bool(ref.converged and on_refuting_side(margin, error, refutes))
    details = {
        "quantity": float(Q), "grad_norm": float(ref.grad_norm), "gamma": ref.gamma,
        "distance_bound": ref.distance_bound, "rigorous": bool(
            ref.rigorous and quantity_lipschitz is not None),
        "refinement_converged": ref.converged, "residual_history": ref.history,
        "null_dimension": ref.null_dimension,
        "assumes": "the Hessian's null space at theta* is spanned by exact symmetry directions",
    }
    return Certificate(certified, float(margin), float(error), dps, "mpmath", details, refutes)


def certify_negative_curvature(hp: HighPrecisionObjective, theta: Vector,
                               direction: Vector,
                               *, dps: int = 50, refine: bool = True,
                               hessian_lipschitz: float | None = None,
                               max_iterations: int = 40) -> Certificate:
    """Certify ``v^T H(theta*) v / v^T v < 0``: a strict saddle (or maximum), not a minimum.

    With ``refine`` the point is first refined to ``theta_hat`` (as in
    :func:`certify_critical_point`) and the Rayleigh quotient's error bounded
    by ``L * distance_bound`` (``L`` the Hessian's Lipschitz constant, given or
    estimated) plus rounding; without it ``theta`` is taken as exact.

    Returns
    -------
    Certificate
        ``margin = -rayleigh``, ``refutes="above"``; certified iff
        ``margin - error_bound > 0`` (the interval lies above 0).
    """
    dps = check_int("dps", dps, minimum=30)
    _check_hp(hp, theta)
    if len(direction) != hp.n_params:
        raise InvalidInput("direction", f"a vector of length {hp.n_params}", len(direction))
    if _is_exact(theta) and _is_exact(direction) and hasattr(hp, "exact_hessian"):
        q = _exact_rayleigh(hp.exact_hessian(list(theta)), list(direction))
        return Certificate(bool(q < 0), float(-q), 0.0, 0, "exact", {"rayleigh": str(q)})
    distance, rigorous = 0.0, refine is False
    details: dict[str, Any] = {}
    point = list(theta)
    if refine:
        ref = refine_high_precision(hp, theta, dps=dps, max_iterations=max_iterations,
                                    hessian_lipschitz=hessian_lipschitz)
        point, distance, rigorous = ref.theta, ref.distance_bound, ref.rigorous
        details.update(grad_norm=float(ref.grad_norm), gamma=ref.gamma,
                       distance_bound=distance, refinement_converged=ref.converged)
    with mpmath.workdps(dps):
        x = [_to_mpf(t) for t in point]
        v = mpmath.matrix([_to_mpf(t) for t in direction])
        H = hp.mp_hessian(x)
        q = (v.T * H * v)[0, 0] / (v.T * v)[0, 0]
        s = float(mpmath.mnorm(H, 1))
        lipschitz = hessian_lipschitz if hessian_lipschitz is not None \
            else 10 * s / max(1.0, float(mpmath.norm(mpmath.matrix(x))))
        error = lipschitz * distance + float(mpmath.mpf(10) ** (10 - dps) * max(1, s))
    details.update(rayleigh=float(q), rigorous=bool(rigorous))
    certified = on_refuting_side(-q, error, "above")
    return Certificate(certified, float(-q), float(error), dps, "mpmath", details)


def _certify_exact_critical(hp: Any, theta: Vector, quantity: Callable, threshold: Any,
                            refutes: Side) -> Certificate:
    x = [Fraction(t) for t in theta]
    g = [Fraction(t) for t in hp.exact_grad(x)]
    critical = all(t == 0 for t in g)
    Q = Fraction(quantity(x))
    margin = Q - Fraction(threshold)
    details = {"quantity": str(Q), "exact_critical": critical,
               "max_abs_grad": str(max((abs(t) for t in g), default=Fraction(0)))}
    on_side = margin > 0 if refutes == "above" else margin < 0
    return Certificate(bool(critical and on_side), float(margin), 0.0, 0, "exact", details,
                       refutes)


def check_side(refutes: Any) -> Side:
    """``refutes`` must be ``"above"`` or ``"below"``."""
    if refutes not in _SIDES:
        raise InvalidInput("refutes", "'above' or 'below' (the side of the threshold on which "
                           "the quantity refutes)", refutes)
    return refutes


def _exact_rayleigh(H: Sequence[Sequence], v: Vector) -> Fraction:
    v = [Fraction(t) for t in v]
    Hv = [sum((Fraction(h) * t for h, t in zip(row, v, strict=True)), Fraction(0)) for row in H]
    return sum((a * b for a, b in zip(v, Hv, strict=True)), Fraction(0)) / \
        sum((t * t for t in v), Fraction(0))


def _gradient_norm(quantity: Callable, x: list, dps: int) -> Any:
    """``||grad Q(x)||`` by central differences with step ``10^(-dps/3)``."""
    h = mpmath.mpf(10) ** (-(dps // 3))
    total = mpmath.mpf(0)
    for i in range(len(x)):
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        total += ((mpmath.mpf(quantity(up)) - mpmath.mpf(quantity(down))) / (2 * h)) ** 2
    return mpmath.sqrt(total)


def _check_hp(hp: Any, theta: Vector) -> None:
    if not isinstance(hp, HighPrecisionObjective):
        raise InvalidInput("hp_objective", "an object with n_params, mp_loss, mp_grad and "
                           "mp_hessian", hp)
    if len(theta) != hp.n_params:
        raise InvalidInput("theta", f"a vector of length {hp.n_params}", len(theta))


def _is_exact(values: Vector) -> bool:
    return all(isinstance(t, (Fraction, numbers.Integral)) and not isinstance(t, bool)
               for t in values)


def _to_mpf(value: Any) -> Any:
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    if isinstance(value, np.floating):
        return mpmath.mpf(float(value))
    return mpmath.mpf(value)


def _column(vector: Any) -> list:
    if isinstance(vector, mpmath.matrix):
        return [vector[i] for i in range(vector.rows * vector.cols)]
    return [mpmath.mpf(t) for t in vector]


def _to_float(matrix: Any) -> np.ndarray:
    if isinstance(matrix, mpmath.matrix):
        return np.array([[float(matrix[i, j]) for j in range(matrix.cols)]
                         for i in range(matrix.rows)], dtype=np.float64)
    return np.asarray([[float(t) for t in row] for row in matrix], dtype=np.float64)
