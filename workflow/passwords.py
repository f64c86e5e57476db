"""Password hashing with Argon2id."""
from __future__ import annotations

import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from evaluators.messages import message

# ARGON2_PROFILE=cheapest is for test suites only: the hashes stay valid Argon2id, just fast.
_hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST)
           if os.environ.get("ARGON2_PROFILE") == "cheapest" else PasswordHasher())

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return message("密码至少需要%(length)s个字符", length=MIN_LENGTH)
    return None
