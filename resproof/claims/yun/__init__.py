"""Claims of Yun, Sra & Jadbabaie, *Are deep ResNets provably better than linear
predictors?* (seed 003): one module per claim, each defining ``CLAIMS``."""
