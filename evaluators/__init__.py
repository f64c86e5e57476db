"""Evaluators (评价): pure functions over guideline data files and reference tables.

Standard library only; nothing here touches a database, the web or the network. Given the same
input every function returns the same result, with a trace that explains it.
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
