"""Reports of sweeps: the record schema (:mod:`.records`), Markdown and HTML reports
with plots, counterexample ``REPORT.json`` files and their replay.

Nothing heavy is imported here: matplotlib loads only when a plot is drawn.
"""
