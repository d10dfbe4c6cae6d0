"""Claims of Chen et al., *ResNEsts and DenseNEsts* (seed 002): one module per claim
(or per close pair), each defining ``CLAIMS``."""
