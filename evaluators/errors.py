"""Errors the evaluators raise to their callers."""


class GuidelineError(LookupError):
    """An unknown guideline key, or a guideline data file that breaks the rules of its format."""
