"""Per-sample losses and the risk, compiled (the codes of
:data:`resproof.nn.losses.LOSSES`)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def loss_eval(code, p, yhat, y, g, H, want_h):
    """``l(yhat, y)``; fills ``g = dl/dyhat`` and, if ``want_h``, ``H = d^2 l/dyhat^2``."""
    n_o = yhat.shape[0]
    if want_h:
        for a in range(n_o):
            for b in range(n_o):
                H[a, b] = 0.0
    total = 0.0
    if code == 3:
        m = yhat[0]
        for o in range(1, n_o):
            m = max(m, yhat[o])
        z = 0.0
        for o in range(n_o):
            g[o] = math.exp(yhat[o] - m)
            z += g[o]
        lse = m + math.log(z)
        ysum = 0.0
        for o in range(n_o):
            total += y[o] * (lse - yhat[o])
            ysum += y[o]
            g[o] = g[o] / z
        if want_h:
            for a in range(n_o):
                for b in range(n_o):
                    H[a, b] = -ysum * g[a] * g[b]
                H[a, a] += ysum * g[a]
        for o in range(n_o):
            g[o] = ysum * g[o] - y[o]
        return total
    for o in range(n_o):
        r = yhat[o] - y[o]
        if code == 0:
            total += 0.5 * r * r
            g[o] = r
            h = 1.0
        elif code == 1:
            t = -y[o] * yhat[o]
            if t > 0.0:
                total += t + math.log1p(math.exp(-t))
                sg = 1.0 / (1.0 + math.exp(-t))
            else:
                e = math.exp(t)
                total += math.log1p(e)
                sg = e / (1.0 + e)
            g[o] = -y[o] * sg
            h = y[o] * y[o] * sg * (1.0 - sg)
        elif code == 2:
            d = p[0]
            q = math.sqrt(1.0 + (r / d) ** 2)
            total += d * d * (q - 1.0)
            g[o] = r / q
            h = 1.0 / (q * q * q)
        else:
            c2 = p[0] * p[0]
            e = math.exp(-r * r / c2)
            total += 0.5 * c2 * (1.0 - e)
            g[o] = r * e
            h = e * (1.0 - 2.0 * r * r / c2)
        if want_h:
            H[o, o] = h
    return total


@njit(cache=True)
def risk(yhat, Y, lcode, lp, G, Hl, want_h):
    """``R``; fills ``G = dR/dYhat`` and (if ``want_h``) ``Hl[n] = d^2 R / dyhat_n^2``."""
    return risk_part(yhat, Y, lcode, lp, G, Hl, want_h, 1.0 / yhat.shape[0])


@njit(cache=True)
def risk_part(yhat, Y, lcode, lp, G, Hl, want_h, inv):
    """:func:`risk` of some of the samples, ``inv = 1/N`` for all ``N`` of them: the
    part ``inv sum_n l(yhat_n, y_n)`` over these rows, ``G`` and ``Hl`` likewise scaled."""
    N, N_o = yhat.shape
    h = np.empty((N_o, N_o))
    total = 0.0
    if lcode == 0 and not want_h:
        # the squared loss inline, in loss_eval's order of operations
        for n in range(N):
            tn = 0.0
            for o in range(N_o):
                r = yhat[n, o] - Y[n, o]
                tn += 0.5 * r * r
                G[n, o] = r * inv
            total += tn
        return total * inv
    for n in range(N):
        total += loss_eval(lcode, lp, yhat[n], Y[n], G[n], h, want_h)
        if want_h:
            for a in range(N_o):
                for b in range(N_o):
                    Hl[n, a, b] = h[a, b] * inv
        for a in range(N_o):
            G[n, a] *= inv
    return total * inv

