"""Benchmarks: GreenCert measured against the bare stack in the same run (`make bench`).

Not collected by pytest (see conftest.py): `python -m tests.benchmarks [--scale small]`
generates a realistic dataset in its own PostgreSQL database, measures every figure as a ratio
to a bare baseline on the same server settings, prints a table and writes bench-results.json.
"""
