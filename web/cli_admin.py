"""Administrative commands of `greencert`: audit, backup and restore."""
from __future__ import annotations
