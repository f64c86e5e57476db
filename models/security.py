"""Security records: sign-in throttling, password resets, audit chains."""
from __future__ import annotations
