"""The exact Hessian of the ResNEst risk from its Kronecker structure.

:mod:`.assemble` (the driver and the node-pair schedule), :mod:`.rows` (node
table, row bases, index maps), :mod:`.stores` (per-chunk inputs, Jacobians,
``G_n``), :mod:`.blocks` (one node pair's block).
"""
