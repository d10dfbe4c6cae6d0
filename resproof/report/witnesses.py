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
    from ..claims.resnest.pphi_study import Study
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


# yun.single-block implements Claim.instance and Claim.landscape itself.
_INSTANCES: dict[str, Callable[..., InstanceData]] = {"resnest.thm1": _thm1_instance}
_LANDSCAPES: dict[str, Callable[..., Landscape]] = {"resnest.thm1": _thm1_landscape}


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
