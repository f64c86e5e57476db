"""`greencert worker` with the job code loaded before RQ forks a work horse for each job.

Without this, every forked job imports workflow.jobs and everything below it afresh (about one
second on the benchmark machine) and builds WeasyPrint's font configuration again; the parent
loads them once here and every fork inherits them. The worker itself is the project's command.
"""
from __future__ import annotations

import sys


def preload() -> None:
    import evaluators
    import workflow.jobs  # noqa: F401  (the job registry and every module a job uses)
    from workflow.certificate_pdf import _font_configuration, _environment

    _font_configuration()
    _environment()
    for guideline in evaluators.available():
        evaluators.load(guideline.key)


if __name__ == "__main__":
    from web.cli import main

    preload()
    sys.exit(main(["worker", *sys.argv[1:]]))
