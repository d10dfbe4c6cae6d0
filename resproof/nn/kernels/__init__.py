"""Compiled internals of the models: never imported by users.

The models (:mod:`resproof.nn.models`) call the entry points exported here:
``forward``, ``output`` (compiled) and ``backward_states``, ``loss``,
``loss_grad``, ``hvp``, ``hessian`` (Python wrappers over compiled kernels), all
in :mod:`.drivers`, and ``hvp_block`` (the Hessian on a block of vectors, in
:mod:`.block`).  Kernels take arrays and integers and return arrays.

Modules: :mod:`.drivers` (the entry points, state cache), :mod:`.chunks` (the passes
over sample chunks, serial and threaded),
:mod:`.block` (``H`` applied to ``b`` vectors in one pass, products widened),
:mod:`.passes` (one pass over a range of rows), :mod:`.small` (the BLAS-free
path for narrow layers), :mod:`.fastmath` (SIMD tanh and sums),
:mod:`.activations` and :mod:`.losses` (``s, s', s''`` and ``l, l', l''`` by
integer code), :mod:`.buffers` (views into work buffers), :mod:`.threads`
(BLAS and numba threads), :mod:`.blas` (``dgemm``), :mod:`.dense` (small dense
factorisations), :mod:`.kron` (the Hessian from its Kronecker structure) and
:mod:`.cache` (numba's on-disk cache keyed on every compiled module's source).
"""

from __future__ import annotations

from . import cache

cache.install()

from .block import hvp_block as hvp_block  # noqa: E402  (after cache.install)
from .drivers import backward_states as backward_states  # noqa: E402
from .drivers import forward as forward  # noqa: E402
from .drivers import hessian as hessian  # noqa: E402
from .drivers import hvp as hvp  # noqa: E402
from .drivers import loss as loss  # noqa: E402
from .drivers import loss_grad as loss_grad  # noqa: E402
from .drivers import output as output  # noqa: E402
from .drivers import private as private  # noqa: E402
from .drivers import risk_terms as risk_terms  # noqa: E402

__all__ = ["backward_states", "forward", "hessian", "hvp", "hvp_block", "loss", "loss_grad",
           "output", "private", "risk_terms"]
