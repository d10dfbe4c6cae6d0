"""Instances and landscapes of trials, for records and reports.

A claim may provide them itself (:meth:`Claim.instance`, :meth:`Claim.landscape`);
for resproof's own claims that do not yet, the adapters below rebuild them from
the claim module's public drawing functions.  Any failure of an adapter is
reported as "not available" with the reason: the record and the verdict never
depend on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..claims.base import Claim, InstanceData, Landscape
from ..profiles import Budget


def resnest_instance_data(inst: Any) -> InstanceData:
    """A :class:`resproof.nn.instances.Instance` of a ResNEst as plain data."""
    lay = inst.model.layout
    model = {
        "family": "resnest",
        "equations": "x_0 = W0 x; x_i = x_{i-1} + W_i s(U_i x_{i-1} + b_i) (i = 1..L; "
                     "without the x_{i-1} term when skip is false); yhat = Wout x_L",
        "activation": inst.model.activation,
        "activation_params": list(inst.model.activation_params),
        "skip": bool(inst.model.skip),
        "loss": "squared: R = (1 / 2N) sum_n ||yhat(x_n) - y_n||^2",
        "sizes": {"N_in": lay.n_in, "M": lay.width, "N_o": lay.n_out,
                  "K": list(lay.block_widths), "N": int(inst.X.shape[0])},
        "theta_layout": [[name, list(shape)] for name, shape in lay.shapes.items()],
        "theta_order": "blocks in theta_layout order, each matrix flattened row-major",
        "arrays": {"X": "inputs, one sample per row (N, N_in)",
                   "Y": "targets (N, N_o)", "theta": "drawn parameters (flat)"},
    }
    return InstanceData(model, {"X": inst.X, "Y": inst.Y, "theta": inst.theta})


def _thm1_draw(seed: np.random.SeedSequence, control: str | None) -> tuple[Any, str]:
    """The instance and loss ``resnest.thm1``'s trial draws from ``seed``."""
    from ..claims.resnest import thm1
    from ..strategies import resnest_instance

    spec = thm1.spec_for(np.random.default_rng(seed), control)
    return resnest_instance(spec), spec.loss


def _thm1_instance(seed: np.random.SeedSequence, control: str | None) -> InstanceData:
    return resnest_instance_data(_thm1_draw(seed, control)[0])


def _thm1_landscape(seed: np.random.SeedSequence, control: str | None,
                    budget: Budget) -> Landscape:
    from ..claims.resnest.common import Study
    from ..landscape.minimize import minimize

    inst, loss = _thm1_draw(seed, control)
    study = Study.of(inst, loss)
    if control == "all-critical-global":
        p = study.with_residual_targets().objective
        return Landscape(p, np.zeros(p.n_params), "R(0) - min(PA_phi) at the critical point "
                         "(W_L, W_{L+1}) = (0, 0) of (P_phi)")
    point = minimize(study.objective, study.drawn_theta(), max_iterations=budget.max_iterations)
    return Landscape(study.objective, point.theta,
                     "eps = R - min(PA_phi) at a local minimiser of (P_phi)")


def _yun_problem(seed: np.random.SeedSequence, control: str | None
                 ) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(model, X, y, theta)`` as ``yun.single-block``'s trial draws them from ``seed``
    (``theta`` the drawn point of a control's construction, else None)."""
    from ..claims.yun import single_block as sb
    from ..nn.models import YunResNet

    rng = np.random.default_rng(seed)
    X, y = sb.draw_data(rng, positive=control == "no-skip")
    if control is None:
        return YunResNet(sb.D_X, (sb.HIDDEN,), "tanh"), X, y, None
    if control == "no-skip":
        model = YunResNet(sb.D_X, (sb.HIDDEN,), "relu", skip=False)
        theta = rng.standard_normal(model.n_params)
        k = sb.HIDDEN * sb.D_X
        theta[:k] = -np.abs(theta[:k]) - 0.1
        return model, X, y, theta
    model = YunResNet(sb.D_X, (sb.HIDDEN,), "tanh")
    theta = rng.standard_normal(model.n_params)
    theta[-sb.D_X:] = 0.0
    views = model.split(theta)
    h = X + np.tanh(X @ views["U1"].T) @ views["W1"].T
    beta, *_ = np.linalg.lstsq(h, y, rcond=None)
    return model, X, y - h @ beta, theta


def _yun_instance(seed: np.random.SeedSequence, control: str | None) -> InstanceData:
    model, X, y, theta = _yun_problem(seed, control)
    spec = {"family": "yun-single-block",
            "equations": "f(x) = w^T (x + V phi(U x)) (without x when skip is false)",
            "activation": model.activation, "skip": bool(model.skip),
            "loss": "squared: R = (1 / 2N) sum_n (f(x_n) - y_n)^2",
            "sizes": {"d_x": int(X.shape[1]), "hidden": int(model.hidden[0]),
                      "N": int(X.shape[0])},
            "theta_layout": [[k, list(v.shape)] for k, v in
                             model.split(np.zeros(model.n_params)).items()],
            "arrays": {"X": "inputs (N, d_x)", "y": "targets (N,)",
                       "theta": "the control's constructed point (absent for the claim)"}}
    arrays = {"X": X, "y": y} if theta is None else {"X": X, "y": y, "theta": theta}
    return InstanceData(spec, arrays)


def _yun_landscape(seed: np.random.SeedSequence, control: str | None,
                   budget: Budget) -> Landscape:
    """The trial's deciding point (rerun: the claim records it in its evidence), checked
    against the recorded risk before it is drawn."""
    from ..claims import get

    model, X, y, _ = _yun_problem(seed, control)
    evidence = get("yun.single-block").trial(seed, control, budget).evidence
    row = evidence.get("worst") if control is None else evidence
    if not isinstance(row, dict):
        raise RuntimeError("the trial recorded no deciding point")
    theta = np.asarray(row["theta"], dtype=np.float64)
    objective = model.objective(X, y)
    risk = objective.loss(theta)
    if not np.isclose(risk, row["risk"], rtol=1e-9, atol=0.0):
        raise RuntimeError(f"rebuilt risk {risk!r} differs from the trial's {row['risk']!r}")
    return Landscape(objective, theta, "R - R_lin at the critical point")


_INSTANCES: dict[str, Callable[..., InstanceData]] = {"resnest.thm1": _thm1_instance,
                                                      "yun.single-block": _yun_instance}
_LANDSCAPES: dict[str, Callable[..., Landscape]] = {"resnest.thm1": _thm1_landscape,
                                                    "yun.single-block": _yun_landscape}


def instance_of(claim: Claim, seed: np.random.SeedSequence,
                control: str | None) -> InstanceData | None:
    """The instance trial ``seed`` of ``claim`` draws, or None when not available."""
    data = claim.instance(seed, control)
    if data is None and claim.id in _INSTANCES:
        data = _INSTANCES[claim.id](seed, control)
    return data


def landscape_of(claim: Claim, seed: np.random.SeedSequence, control: str | None,
                 budget: Budget) -> tuple[Landscape | None, str]:
    """The trial's objective and deciding point, or None and the reason."""
    try:
        found = claim.landscape(seed, control, budget)
        if found is None and claim.id in _LANDSCAPES:
            found = _LANDSCAPES[claim.id](seed, control, budget)
    except Exception as exc:  # plots are optional; the verdict never depends on them
        return None, f"landscape not available: {type(exc).__name__}: {exc}"
    if found is None:
        return None, "the claim provides no landscape (Claim.landscape)"
    return found, ""
