"""(P_phi) for any loss of :mod:`resproof.nn.losses`, from the frozen features.

With ``phi`` frozen, ``z_n = x_{L-1}(x_n) + W_L v_L(x_n)`` and
``yhat_n = W_{L+1} z_n``; the risk is ``R = (1/N) sum_n l(yhat_n, y_n)``.
With ``g_n = dR/dyhat_n`` and ``h_n = d^2 R/dyhat_n^2`` (both carrying the ``1/N``):

.. math::

    dR/dW_{L+1} = \\sum_n g_n z_n^T,\\qquad dR/dW_L = W_{L+1}^T \\sum_n g_n v_n^T,

and, with ``J_n = d yhat_n / d(W_L, W_{L+1})``, the Hessian is
``sum_n J_n^T h_n J_n`` plus the second derivative of ``yhat``, which only
couples ``W_{L+1}(o, m)`` with ``W_L(m, k)``: ``sum_n g_n[o] v_n[k]``.

Parameter order ``(W_L, W_{L+1})`` row-major, as :class:`~resproof.problems.pphi.PphiObjective`
(the squared-loss objective on Gram statistics, which it equals for ``loss="squared"``).
"""

from __future__ import annotations

import numpy as np

from ..nn import kernels
from ..nn.losses import resolve_loss


class PphiLossObjective:
    """(P_phi) over ``theta = (W_L, W_{L+1})`` with a general loss.

    Parameters
    ----------
    x_prev, v_last, Y
        ``x_{L-1}`` (``N x M``), ``v_L`` (``N x K``) and the targets (``N x N_o``).
    loss, loss_param
        A loss of :data:`~resproof.nn.losses.LOSSES` and its scale.
    """

    def __init__(self, x_prev: np.ndarray, v_last: np.ndarray, Y: np.ndarray,
                 loss: str = "squared", loss_param: float | None = None):
        self.x_prev = np.ascontiguousarray(x_prev, dtype=np.float64)
        self.V = np.ascontiguousarray(v_last, dtype=np.float64)
        self.Y = np.ascontiguousarray(Y, dtype=np.float64)
        self.M, self.K, self.N_o = self.x_prev.shape[1], self.V.shape[1], self.Y.shape[1]
        self.loss_name = loss
        self._loss = resolve_loss(loss, loss_param)
        self.n_params = self.M * self.K + self.N_o * self.M

    def split(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        MK = self.M * self.K
        return (np.asarray(t[:MK]).reshape(self.M, self.K),
                np.asarray(t[MK:]).reshape(self.N_o, self.M))

    def _terms(self, t: np.ndarray, want_h: bool):
        WL, Wo = self.split(np.asarray(t, dtype=np.float64))
        Z = self.x_prev + self.V @ WL.T
        spec, lp = self._loss
        R, G, Hl = kernels.risk_terms(np.ascontiguousarray(Z @ Wo.T), self.Y, spec.code, lp,
                                      want_h)
        return WL, Wo, Z, float(R), G, Hl

    def loss_grad(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        _, Wo, Z, R, G, _ = self._terms(t, False)
        gL = Wo.T @ (G.T @ self.V)
        gO = G.T @ Z
        return R, np.concatenate([gL.ravel(), gO.ravel()])

    def loss(self, t: np.ndarray) -> float:
        return self.loss_grad(t)[0]

    def grad(self, t: np.ndarray) -> np.ndarray:
        return self.loss_grad(t)[1]

    def prediction_jacobian(self, t: np.ndarray) -> np.ndarray:
        """``J[n, o, :] = d yhat_n[o] / d theta`` (``N x N_o x P``)."""
        WL, Wo = self.split(np.asarray(t, dtype=np.float64))
        Z = self.x_prev + self.V @ WL.T
        N, M, K, N_o = Z.shape[0], self.M, self.K, self.N_o
        JL = np.einsum("om,nk->nomk", Wo, self.V).reshape(N, N_o, M * K)
        JO = np.einsum("op,nm->nopm", np.eye(N_o), Z).reshape(N, N_o, N_o * M)
        return np.concatenate([JL, JO], axis=2)

    def hessian(self, t: np.ndarray) -> np.ndarray:
        *_, G, Hl = self._terms(t, True)
        M, K, N_o = self.M, self.K, self.N_o
        J = self.prediction_jacobian(t)
        H = np.einsum("nap,nab,nbq->pq", J, Hl, J)
        cross = G.T @ self.V  # (N_o, K): d^2 yhat[o] / dW_{L+1}(o, m) dW_L(m, k)
        for o in range(N_o):
            for m in range(M):
                i = M * K + o * M + m
                H[i, m * K:(m + 1) * K] += cross[o]
                H[m * K:(m + 1) * K, i] += cross[o]
        return H

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self.hessian(t) @ v

    def hvp_block(self, t: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``H v_j`` for every row of ``V``, from one Hessian."""
        return np.asarray(V, dtype=np.float64) @ self.hessian(t).T

    def residual_risk(self, t: np.ndarray) -> float:
        return self.loss(t)
