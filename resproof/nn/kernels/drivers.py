"""Compiled ResNEst kernels: risk, gradient, Hessian-vector product and Hessian.

Model (Chen et al. 2021, eq. (1)), on the batch ``X`` (``N x N_in``, one sample
per row)::

    X_0 = X W_0^T
    Z_i = X_{i-1} U_i^T + b_i,   V_i = s(Z_i),   X_i = sigma X_{i-1} + V_i W_i^T   (i = 1..L)
    Yhat = X_L W_{L+1}^T,        R = (1/N) sum_n l(yhat_n, y_n)

``sigma`` is 1 (the skip connection) or 0 (the no-skip control).

Reverse mode, adjoints ``Lam_i = dR/dX_i``::

    G = dR/dYhat,  Lam_L = G W_{L+1},  Nu_i = Lam_i W_i,  Mu_i = s'(Z_i) * Nu_i,
    Lam_{i-1} = sigma Lam_i + Mu_i U_i,
    dR/dW_{L+1} = G^T X_L,  dR/dW_i = Lam_i^T V_i,  dR/dU_i = Mu_i^T X_{i-1},
    dR/db_i = 1^T Mu_i,     dR/dW_0 = Lam_0^T X

The HVP is the R-operator (Pearlmutter 1994) of that pass: a tangent forward
pass ``R{X_i}, R{Z_i}`` and a reverse pass with ``R{Lam_i}``; the activation
adds ``R{Mu_i} = s''(Z_i) R{Z_i} Nu_i + s'(Z_i) R{Nu_i}``.

The Hessian is assembled from its Kronecker structure in :mod:`resproof.nn.kernels.kron`.

Every compiled kernel takes arrays and integers only; samples are visited in a
fixed order.  Layout and speed (measured on the bench instances):

* ``tanh`` is :func:`resproof.nn.kernels.fastmath.tanh`, vectorised over whole blocks
  (libm's costs ~18 ns a call and does not vectorise);
* states are block-major (block ``i`` of ``Z, V, s', s''`` is one contiguous
  ``N x K_i`` array), so no product needs a copy of its operand;
* temporaries are carved (:mod:`resproof.nn.kernels.buffers`) from work buffers that the
  Python wrappers keep per thread: fresh multi-megabyte arrays cost more in page faults than the
  products written into them;
* narrow layers with few samples (size S) take the BLAS-free feature-major loops
  of :mod:`resproof.nn.kernels.small` for the loss and gradient; elsewhere products go to
  BLAS on one thread (:func:`resproof.nn.kernels.threads.one_thread`);
* samples are processed in fixed chunks (:mod:`resproof.nn.kernels.chunks`) whose
  parameter parts are added in chunk order, on numba's threads for large passes:
  results never depend on the thread count;
* the forward and adjoint states are remembered for the last ``theta``
  (:func:`_states`): Lanczos and Newton-CG apply many HVPs at one point, and
  the Hessian reuses them too.

The public entry points keep their signatures: ``forward``, ``output`` (compiled)
and ``backward_states``, ``loss``, ``loss_grad``, ``hvp``, ``hessian`` (Python
wrappers over compiled kernels).  Each wrapper picks the serial or the threaded
kernel (:func:`resproof.nn.kernels.chunks._threaded`).
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from numba import njit

from .buffers import ZERO, _block, _bv, _mat, _need, _sum_k, transposed
from .cache import await_warmup
from .chunks import (
    _backward,
    _backward_threaded,
    _hvp,
    _hvp_threaded,
    _loss_grad,
    _loss_grad_threaded,
    _threaded,
)
from .losses import risk
from .passes import forward_rows, state_arrays
from .small import _loss_grad_small, _small
from .threads import on_numba_threads, one_thread


@njit(cache=True)
def _forward(th, lay, X, acode, ap, skip):
    N = X.shape[0]
    XS, ZB, VB, S1B, S2B, _ = state_arrays(lay, N, np.empty(_need(lay, N)), ZERO)
    forward_rows(th, transposed(lay, th, np.empty(th.size)), lay, X, acode, ap, skip, ZERO, N,
                 XS, ZB, VB, S1B, S2B)
    return XS, ZB, VB, S1B, S2B


@njit(cache=True)
def _columns(lay, B, N):
    """A block-major buffer as the ``N x sum K`` matrix (blocks side by side)."""
    out = np.empty((N, _sum_k(lay)))
    for i in range(lay[3]):
        K, _, _, _, ko = _block(lay, i)
        block = _bv(B, N, ko, K)
        # element loops, not a slice assignment: that compiles numba's shape-error formatting
        for n in range(N):
            for k in range(K):
                out[n, ko + k] = block[n, k]
    return out


@njit(cache=True)
def forward(th, lay, X, acode, ap, skip):
    """States ``X_0..X_L`` (``(L+1) x N x M``), ``Z``, ``V``, ``s'``, ``s''`` (``N x sum K``)."""
    N = X.shape[0]
    XS, ZB, VB, S1B, S2B = _forward(th, lay, X, acode, ap, skip)
    return (XS.copy(), _columns(lay, ZB, N), _columns(lay, VB, N), _columns(lay, S1B, N),
            _columns(lay, S2B, N))


@njit(cache=True)
def output(th, lay, XL):
    M, N_o = lay[1], lay[2]
    return np.dot(XL, _mat(th, lay[5], N_o, M).T)


@njit(cache=True)
def risk_terms(yhat, Y, lcode, lp, want_h):
    """``R``, ``G = dR/dYhat`` and (if ``want_h``) per-sample ``d^2 R / dyhat_n^2``."""
    N, N_o = yhat.shape
    G = np.empty((N, N_o))
    Hl = np.zeros((N if want_h else 0, N_o, N_o))
    return risk(yhat, Y, lcode, lp, G, Hl, want_h), G, Hl


@njit(cache=True)
def _loss_grad_narrow(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g):
    """:func:`_loss_grad` by the BLAS-free loops of :mod:`resproof.nn.kernels.small`; ``W`` has
    at least ``_need(lay, N)`` entries (sized once by :func:`_narrow`)."""
    return _loss_grad_small(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g)


def backward_states(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """Forward states plus adjoints: ``XS``, block-major ``V, s'`` and the curvature weights
    ``C = Nu s''``, ``G = dR/dYhat``, per-sample loss Hessians (all carrying the ``1/N``),
    ``Lam_i`` (``(L+1) x N x M``) and block-major ``Mu``, ``Nu``."""
    kernel = _backward_threaded if _threaded(lay, X.shape[0]) else _backward
    return one_thread(kernel, th, lay, X, Y, acode, ap, lcode, lp, skip, np.empty(0))[0]


@njit(cache=True)
def _same(a, b):
    if a.size != b.size:
        return False
    fa, fb = a.ravel(), b.ravel()
    for j in range(fa.size):  # noqa: SIM110  (numba compiles no generator expressions)
        if fa[j] != fb[j]:
            return False
    return True


@njit(cache=True)
def _same_params(th, th0, ap, ap0, lp, lp0, lay, lay0):
    """Whether ``theta``, the activation and loss parameters and the layout equal their
    remembered copies (one compiled call)."""
    return _same(th, th0) and _same(lay, lay0) and _same(ap, ap0) and _same(lp, lp0)


#: Arrays that their owner never writes to (:func:`private`), by ``id``.
_PRIVATE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def private(a: np.ndarray) -> np.ndarray:
    """A C-contiguous float64 copy of ``a`` that its caller promises never to write to
    (the models' data): the state cache (:func:`_states`) knows it by identity instead
    of comparing every entry on every HVP (0.15 ms of a 7 ms size-L HVP, measured)."""
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    _PRIVATE[id(out)] = out
    return out


def _is_private(a: np.ndarray) -> bool:
    return _PRIVATE.get(id(a)) is a


def _same_array(a: np.ndarray, a0: np.ndarray) -> bool:
    """``a`` equals the remembered ``a0``: the same :func:`private` array, or equal entries."""
    if a is a0 and _is_private(a):
        return True
    return a.shape == a0.shape and bool(_same(a, a0))


def _remembered(a: np.ndarray) -> np.ndarray:
    """What :func:`_states` keeps of ``a``: a :func:`private` array itself, else a copy."""
    return a if _is_private(a) else a.copy()


def _states(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """:func:`backward_states`, remembered for the last ``(theta, data)`` seen.

    Krylov methods apply the Hessian at one ``theta`` many times; the forward and
    adjoint states do not depend on ``v``, so they are computed once.  The key is
    compared by value (a copy is kept; :func:`private` data by identity), so a changed
    array is never served stale.
    """
    key = (int(acode), int(lcode), float(skip), th.shape, X.shape, Y.shape)
    hit = getattr(_LOCAL, "states", None)
    if hit is not None and hit[0] == key:
        th0, lay0, X0, Y0, ap0, lp0 = hit[1]
        if (_same_params(th, th0, ap, ap0, lp, lp0, lay, lay0) and _same_array(X, X0)
                and _same_array(Y, Y0)):
            return hit[2]
    # the slot's buffer is reused: the states it held are being replaced
    _LOCAL.states = None
    kernel = _backward_threaded if _threaded(lay, X.shape[0]) else _backward
    st, _LOCAL.sbuf = kernel(th, lay, X, Y, acode, ap, lcode, lp, skip, _work("sbuf"))
    _LOCAL.states = (key, (th.copy(), lay.copy(), _remembered(X), _remembered(Y), ap.copy(),
                           lp.copy()), st)
    return st


_LOCAL = threading.local()


def _work(name: str) -> np.ndarray:
    """This thread's work buffer ``name`` (kernels grow it when too small)."""
    return getattr(_LOCAL, name, _EMPTY)


_EMPTY = np.empty(0)


def _narrow(lay, N):
    """This thread's work buffer for the BLAS-free path of :func:`_small` layouts (sized
    once per layout and ``N``), or ``None`` when BLAS wins."""
    memo = getattr(_LOCAL, "narrow", None)
    if memo is None or memo[0] is not lay or memo[1] != N:
        W = np.empty(int(_need(lay, N))) if _small(lay, N) else None
        memo = _LOCAL.narrow = (lay, N, W)
    return memo[2]


def _risk_and_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, want_g):
    W = _narrow(lay, X.shape[0])
    if W is not None:
        return _loss_grad_narrow(th, lay, X, Y, acode, ap, lcode, lp, skip, W, want_g)
    R, g, _LOCAL.fwd = _on_chunks(_loss_grad, _loss_grad_threaded, lay, X.shape[0], th, lay,
                                  X, Y, acode, ap, lcode, lp, skip, _work("fwd"), want_g)
    return R, g


def _on_chunks(serial, threaded, lay, N, *args):
    """``serial(*args)``, or ``threaded`` on numba's threads (:func:`on_numba_threads`) when
    the pass is large enough (:func:`resproof.nn.kernels.chunks._threaded`); BLAS on one
    thread either way."""
    if _threaded(lay, N):
        return one_thread(on_numba_threads, threaded, *args)
    return one_thread(serial, *args)


def loss(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """The risk ``R`` (see the module docstring)."""
    return _risk_and_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, False)[0]


def loss_grad(th, lay, X, Y, acode, ap, lcode, lp, skip):
    """``(R, dR/dtheta)``."""
    return _risk_and_grad(th, lay, X, Y, acode, ap, lcode, lp, skip, True)


def hvp(th, lay, X, Y, acode, ap, lcode, lp, skip, v):
    """``H(theta) v`` by the R-operator: a tangent forward and a reverse pass over the
    (remembered, see :func:`_states`) forward and adjoint states."""
    st = one_thread(_states, th, lay, X, Y, acode, ap, lcode, lp, skip)
    out, _LOCAL.tan = _on_chunks(_hvp, _hvp_threaded, lay, X.shape[0], th, lay, X, skip,
                                 np.int64(acode), np.int64(lcode), v, *st, _work("tan"))
    return out


#: ``P^2 N`` from which the Hessian's tasks run on parallel threads (size S, 8.7 M, is
#: threaded: 0.84 ms against 1.05 ms serial; M 78 ms against 139 ms).  Below it the serial
#: assembly also spares a first run the parallel loop's compile (:mod:`.kron.assemble`).
PARALLEL_HESSIAN_WORK = 1 << 23


def hessian(th, lay, X, Y, acode, ap, lcode, lp, skip, chunk):
    """The full Hessian (:func:`resproof.nn.kernels.kron.assemble`), from the remembered states;
    serial or threaded (:data:`PARALLEL_HESSIAN_WORK`), the same bits either way."""
    from .kron.assemble import assemble, assemble_threaded

    kernel = assemble_threaded if th.size ** 2 * X.shape[0] >= PARALLEL_HESSIAN_WORK else assemble
    if kernel is assemble:
        await_warmup(kernel)  # the serial one is what the warm-up process compiles
    st = one_thread(_states, th, lay, X, Y, acode, ap, lcode, lp, skip)
    H, _LOCAL.hess = one_thread(kernel, th, lay, X, skip, chunk, *st, _work("hess"))
    return H
