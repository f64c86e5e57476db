"""Plan targets a bureau answers to (规划目标), e.g. 400 green low-carbon factories by 2025."""
from __future__ import annotations
