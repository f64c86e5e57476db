"""Evaluators (评价): pure functions over guideline data files and reference tables.

Standard library only; nothing here touches a database, the web or the network. Given the same
input (and the same evaluation date ``as_of``) every function returns the same result, with a
trace that explains it. Guideline versions are data files (``guidelines/FORMAT.md``); a bureau
adds one by adding a file to a directory named in ``GREENCERT_GUIDELINES_DIR``.
"""
from evaluators.engine import evaluate
from evaluators.guidelines import GuidelineError, available, load
from evaluators.uscc import uscc_check_character, uscc_problem

__all__ = [
    "GuidelineError",
    "available",
    "evaluate",
    "load",
    "uscc_check_character",
    "uscc_problem",
]
