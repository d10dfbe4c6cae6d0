"""The optimisation problems the theorems speak of, each an Objective plus its exact
or convex optimum where one exists.

* :mod:`.pphi` -- (P_phi): ``W_L, W_{L+1}`` with the features ``phi`` frozen, and
  :mod:`.pphi_solve`, its variable-projection solver;
* :mod:`.augmented` -- (PA_phi): the A-ResNEst's output weights on frozen features
  (convex; least squares for the squared loss).

Problems sit between the models (:mod:`resproof.nn`) and the claims: they build on
the models' kernels and the landscape engine, and know nothing of claims.
"""

from __future__ import annotations

from ..nn import kernels as _kernels  # noqa: F401  (installs the source-keyed kernel cache first)
