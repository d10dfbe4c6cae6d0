"""Problems know their own symmetries: ``(M - rank W_{L+1}) K_L`` flat directions
``W_L + q r^T`` with ``W_{L+1} q = 0``, used by the classifier when no count is given."""

import numpy as np
import pytest

from resproof.claims.resnest.common import Study
from resproof.landscape.minimize import minimize
from resproof.landscape.points import make_point
from resproof.nn.instances import resnest_tanh
from resproof.problems.pphi import PphiObjective
from resproof.results import PointKind, StopReason


def _small_pphi(rng, M=4, K=3, N_o=2, N=30):
    return PphiObjective(rng.standard_normal((N, M)), rng.standard_normal((N, K)),
                         rng.standard_normal((N, N_o)))


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_the_counted_directions_are_flat_and_in_the_hessian_kernel(rank):
    rng = np.random.default_rng(rank)
    p = _small_pphi(rng)
    W_L = rng.standard_normal((p.M, p.K))
    W_out = rng.standard_normal((p.N_o, rank)) @ rng.standard_normal((rank, p.M))
    t = np.concatenate([W_L.ravel(), W_out.ravel()])
    modes = p.symmetry_modes(t)
    assert modes == (p.M - rank) * p.K
    null = np.linalg.svd(W_out)[2][rank:]            # rows q with W_out q = 0
    for q in null:
        r = rng.standard_normal(p.K)
        moved = np.concatenate([(W_L + np.outer(q, r)).ravel(), W_out.ravel()])
        assert p.loss(moved) == pytest.approx(p.loss(t), rel=1e-12, abs=1e-12)


def test_network_objective_on_p_phi_counts_like_the_gram_problem():
    inst = resnest_tanh("S", seed=0)
    sub = inst.objective(subset="P_phi")
    p = Study.of(inst).objective
    t = inst.theta[sub.indices]
    assert sub.symmetry_modes(t) == p.symmetry_modes(inst.theta[-p.n_params:]) == 24
    assert inst.objective(subset="PD_phi").symmetry_modes(inst.theta[-16:]) == 0


def test_the_classifier_asks_the_objective_when_no_count_is_given():
    inst = resnest_tanh("S", seed=0)
    sub = inst.objective(subset="P_phi")
    # two eigenvalues near 4.8e-6 (of lambda_max 189): at ||g|| = 4.8e-13, where a 1e-12
    # stop may land (SkylakeX BLAS kernels), the zero threshold's gradient term is 1.8e-5
    # and rightly leaves them undecided; one Newton step more (||g|| ~ 2e-15) decides them
    point = minimize(sub, inst.theta[sub.indices], gtol=1e-13)
    assert point.converged
    assert point.kind is PointKind.MINIMUM
    assert point.n_zero_modes == sub.symmetry_modes(point.theta) == 24
    # the same point with the symmetries explicitly ignored is undecided, not a minimum
    blind = make_point(sub, point.theta, StopReason.CONVERGED, symmetry_modes=0)
    assert blind.kind is PointKind.DEGENERATE
