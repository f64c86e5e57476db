"""API endpoints for accounts and security: tokens, password resets."""
from __future__ import annotations
