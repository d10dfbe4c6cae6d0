"""Row bookkeeping of the Kronecker Hessian: the node table, the row bases and the index maps.

The nodes ``y_A = W_A u_A`` come in the order ``e_0, z_1, w_1, ..., z_L, w_L,
e_out``; :func:`_nodes` places each in the node space ``D`` (the perturbations
``eps_A``), in the node-ordered parameters ``(A, r, c)`` (the bias ``b_i`` the
last column of ``[U_i b_i]``, mapped to ``theta`` by :func:`_param_index`) and in
the Jacobian store, and :func:`_curvature_rows` places the curvature rows
(outputs first, then ``z_L, ..., z_1``) in the store ``F``.

``eps_{w_i}`` perturbs ``x_i``, which reaches the risk only through ``z_{i+1}``
and ``x_{i+1}``, so the rows of ``delta`` and ``G_n`` of ``w_i`` are a constant
map of those of the later ``z_j`` and the output::

    [delta, G_n]_{w_i} = R_{w_i} [delta, G_n]_{z_{i+1}, ..., z_L, out},
    R_{w_i} = [U_{i+1}^T, sigma U_{i+2}^T, ..., sigma^{L-i} W_out^T],

and the input of ``z_1`` is ``[x_0; 1] = diag(W_0, 1) [x; 1]``.  :func:`_bases`
gives each node these fewer rows (and input columns) as its basis where they
are fewer, with the maps, so that both terms of the Hessian are formed in them
and mapped afterwards.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..buffers import _block, _mat, _sum_k

#: Whether nodes ``w_i`` may take the rows ``R_{w_i}`` as their basis (below).  Off: with
#: three or more such nodes (e.g. ``ResNEst(2, 4, 1, (1, 1, 1, 1))``: ``w_2, w_3, w_4``)
#: the assembled blocks ``(w_2, w_4)`` and ``(w_2, out)`` read unwritten memory (values
#: ~1e248 or nan) while every HVP is right; found 2026-12-02, not yet located.  Every
#: node is then its own basis, which the property test against HVP columns covers.
W_ROW_BASES = False

# columns of the node table (:func:`_nodes`)
_D0, _R, _C, _CJ, _Q0, _U0, _J0, _JS, _RHO, _KO = range(10)


@njit(cache=True)
def _set_row(nd, r, values):
    """``nd[r] = values`` by elements (a row assignment compiles numba's shape-error
    formatting, seconds of a first run)."""
    for k in range(len(values)):
        nd[r, k] = values[k]


@njit(cache=True)
def _nodes(lay):
    """Node table, one row per node ``e_0, z_1, w_1, ..., z_L, w_L, e_out``.

    Columns: ``d0`` (offset in the node space ``D``), ``r`` (width), ``c`` (input
    width), ``cj`` (input columns that depend on earlier nodes), ``q0`` (offset in
    the node-ordered parameters), ``u0`` (first input row), ``j0``, ``js`` (first
    row and row length of ``du/deps`` in the Jacobian store), ``rho`` (curvature
    rows that reach the node: a prefix, outputs first, then ``z_L, ..., z_1``),
    ``ko`` (column offset of the block's ``s'``).
    """
    N_in, M, N_o, L = lay[0], lay[1], lay[2], lay[3]
    nd = np.zeros((2 * L + 2, 10), dtype=np.int64)
    rho = N_o + _sum_k(lay)
    nd[0, _R], nd[0, _C], nd[0, _RHO] = M, N_in, rho
    d, q, u, j = M, M * N_in, N_in, 0
    for i in range(L):
        K, ko = _block(lay, i)[0], _block(lay, i)[4]
        z, w = 1 + 2 * i, 2 + 2 * i
        # z_i: input [x_{i-1}; 1]; dx_{i-1}/deps is stored up to its producer (e_0 or w_{i-1})
        dp = nd[z - 1, _D0]
        _set_row(nd, z, (d, K, M + 1, M, q, u, j - M * dp, dp, rho, ko))
        d, q, u = d + K, q + K * (M + 1), u + M + 1
        rho -= K
        # w_i: input v_i; stored: dv_i/deps, then dx_i/deps (both over the nodes up to z_i)
        _set_row(nd, w, (d, M, K, K, q, u, j, d, rho, ko))
        j += (K + M) * d
        d, q, u = d + M, q + M * K, u + K
    e = 2 * L + 1
    dp = nd[e - 1, _D0]
    _set_row(nd, e, (d, N_o, M, M, q, u, j - M * dp, dp, N_o, 0))
    return nd


@njit(cache=True)
def _bases(th, lay, nd, skip):
    """Row bases of the nodes in the first and the second term, and the input bases:
    ``(nb, bas, RM, ro, rhoD, cu, uu, CM, co, eix, eD)``.

    ``eps_{w_i}`` perturbs ``x_i``, which reaches the risk only through ``z_{i+1}``
    and ``x_{i+1}``, so ``delta_{w_i} = U_{i+1}^T delta_{z_{i+1}} + sigma
    delta_{w_{i+1}}`` (``delta_{w_L} = W_out^T delta_out``), and so are the rows of
    ``G_n``: ``[delta, G_n]_{w_i} = R_{w_i} [delta, G_n]_{z_{i+1}, ..., z_L, out}``,

        R_{w_i} = [U_{i+1}^T, sigma U_{i+2}^T, ..., sigma^{L-i} W_out^T],

    a constant map.  Node ``w_i`` takes these ``rho(w_i)`` rows as its basis when
    they are fewer than its ``M`` own.  ``bas[A, :nb[A]]``: basis rows in the node
    space; ``RM[ro[A]:ro[A + 1]]``: ``R_A`` (``r x nb``, row-major; empty for a node
    that is its own basis); ``rhoD``: curvature rows that reach each node row.
    Inputs likewise: node ``A``'s input ``u_A`` has ``cu[A]`` basis rows from row
    ``uu[A]`` of the input store and ``CM[co[A]:co[A + 1]]`` maps them (``z_1``:
    ``[x_0; 1] = diag(W_0, 1) [x; 1]``); ``eix`` numbers the node rows of the nodes
    that are their own basis (``-1`` elsewhere) and ``eD`` maps the numbers back.
    """
    M, N_o, L = lay[1], lay[2], lay[3]
    nn = nd.shape[0]
    e = nd[nn - 1]
    D = e[_D0] + N_o
    rhoD = np.empty(D, dtype=np.int64)
    nb = nd[:, _R].copy()
    for A in range(nn):
        rhoD[nd[A, _D0]:nd[A, _D0] + nd[A, _R]] = nd[A, _RHO]
        if W_ROW_BASES and A % 2 == 0 and 0 < A < nn - 1 and nd[A, _RHO] < M:
            nb[A] = nd[A, _RHO]
    bas = np.zeros((nn, nb.max()), dtype=np.int64)
    ro = np.zeros(nn + 1, dtype=np.int64)
    for A in range(nn):
        ro[A + 1] = ro[A] + (nd[A, _R] * nb[A] if nb[A] < nd[A, _R] else 0)
        for x in range(nb[A]):
            bas[A, x] = nd[A, _D0] + x
    RM = np.zeros(ro[nn])
    for i in range(L):
        A = 2 + 2 * i
        if ro[A + 1] == ro[A]:
            continue
        R = RM[ro[A]:ro[A + 1]].reshape((M, nb[A]))
        x, s = 0, 1.0
        for j in range(i + 1, L):
            K, oU = _block(lay, j)[0], _block(lay, j)[1]
            U = _mat(th, oU, K, M)
            for k in range(K):
                bas[A, x] = nd[1 + 2 * j, _D0] + k
                for r in range(M):
                    R[r, x] = s * U[k, r]
                x += 1
            s *= skip
        Wout = _mat(th, lay[5], N_o, M)
        for o in range(N_o):
            bas[A, x] = e[_D0] + o
            for r in range(M):
                R[r, x] = s * Wout[o, r]
            x += 1
    # x_0 = W0 x: u_{z_1} = [x_0; 1] = C [x; 1], C = diag(W0, 1), from the rows of
    # [x; 1] kept after the inputs (first row ``nU``) when they are fewer
    cu, uu = nd[:, _C].copy(), nd[:, _U0].copy()
    co = np.zeros(nn + 1, dtype=np.int64)
    N_in = lay[0]
    if L > 0 and N_in < M:
        cu[1], uu[1] = N_in + 1, e[_U0] + M
    for A in range(nn):
        co[A + 1] = co[A] + (nd[A, _C] * cu[A] if cu[A] < nd[A, _C] else 0)
    CM = np.zeros(co[nn])
    if co[2] > co[1]:
        C = CM[co[1]:co[2]].reshape((M + 1, N_in + 1))
        W0 = _mat(th, lay[4], M, N_in)
        for r in range(M):
            for c in range(N_in):
                C[r, c] = W0[r, c]
        C[M, N_in] = 1.0
    # the node rows in some basis: the rows of the nodes that are their own basis
    eix = np.full(D, -1, dtype=np.int64)
    nE = 0
    for A in range(nn):
        if ro[A + 1] == ro[A]:
            for r in range(nd[A, _R]):
                eix[nd[A, _D0] + r] = nE
                nE += 1
    eD = np.empty(nE, dtype=np.int64)
    for d in range(D):
        if eix[d] >= 0:
            eD[eix[d]] = d
    return nb, bas, RM, ro, rhoD, cu, uu, CM, co, eix, eD


@njit(cache=True)
def _param_index(lay, nd):
    """``theta`` index of each node-ordered parameter ``(A, r, c)`` (row-major in ``r, c``)."""
    N_in, M, L = lay[0], lay[1], lay[3]
    out = np.empty(lay[6], dtype=np.int64)
    for j in range(M * N_in):
        out[j] = lay[4] + j
    for i in range(L):
        K, oU, ob, oW = _block(lay, i)[:4]
        q = nd[1 + 2 * i, _Q0]
        for r in range(K):
            for c in range(M):
                out[q + r * (M + 1) + c] = oU + r * M + c
            out[q + r * (M + 1) + M] = ob + r
        q = nd[2 + 2 * i, _Q0]
        for j in range(M * K):
            out[q + j] = oW + j
    q = nd[2 * L + 1, _Q0]
    for j in range(lay[2] * M):
        out[q + j] = lay[5] + j
    return out


@njit(cache=True)
def _curvature_rows(lay, nd):
    """First row of each curvature row's Jacobian in the store ``F`` (``D`` rows for
    an output, ``d0(z_i) + K_i`` for a row of ``z_i``), and the total."""
    N_o, L = lay[2], lay[3]
    D = nd[2 * L + 1, _D0] + N_o
    R = N_o + _sum_k(lay)
    fo = np.empty(R + 1, dtype=np.int64)
    f = 0
    for o in range(N_o):
        fo[o] = f
        f += D
    rho = N_o
    for i in range(L - 1, -1, -1):
        K = _block(lay, i)[0]
        for _ in range(K):
            fo[rho] = f
            f += nd[1 + 2 * i, _D0] + K
            rho += 1
    fo[R] = f
    return fo
