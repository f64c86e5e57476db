"""Yearly reports (动态管理表) of designated units."""
from __future__ import annotations
