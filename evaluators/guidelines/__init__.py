"""Guideline versions (评价导则): one TOML data file per version.

The versions shipped with GreenCert live beside this module. A bureau adds a version (say a
Zhejiang guideline) by dropping ``<key>.toml`` into a directory named in the environment
variable ``GREENCERT_GUIDELINES_DIR`` (several joined by ``os.pathsep``), or passed as
``extra_dirs=`` — no code change. Packaged versions come first: an extra file cannot replace
one, because an application keeps the version it was submitted under for life (STANDARDS.md,
rule for the code). A file is cached by its path, size and modification time, so an edited
file is read again; ``Guideline.digest`` tells two versions of a file apart.
"""
from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from evaluators.errors import GuidelineError
from evaluators.guidelines.definition import (
    Band,
    Group,
    Guideline,
    GuidelineInfo,
    Indicator,
    Parameter,
    Requirement,
    Veto,
    parse,
)
from evaluators.guidelines.locations import SourceText

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "Band",
    "Group",
    "Guideline",
    "GuidelineError",
    "GuidelineInfo",
    "Indicator",
    "Parameter",
    "Requirement",
    "Veto",
    "available",
    "directories",
    "load",
    "load_file",
    "parse",
    "problems",
]

ENVIRONMENT_VARIABLE = "GREENCERT_GUIDELINES_DIR"
_SUFFIX = ".toml"
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")

Directories = Iterable[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class _File:
    key: str
    path: Path
    packaged: bool


def directories(extra_dirs: Directories = None) -> tuple[Path, ...]:
    """Where guideline files are looked for, packaged directory first."""
    packaged = Path(str(resources.files(__name__)))
    named = [Path(d) for d in os.environ.get(ENVIRONMENT_VARIABLE, "").split(os.pathsep) if d]
    named += [Path(d) for d in (extra_dirs or ())]
    ordered = [packaged]
    for directory in named:
        if directory not in ordered:
            ordered.append(directory)
    return tuple(ordered)


def _files(extra_dirs: Directories) -> dict[str, _File]:
    """Guideline files by key; the first directory holding a key wins."""
    found: dict[str, _File] = {}
    for position, directory in enumerate(directories(extra_dirs)):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*" + _SUFFIX)):
            key = path.name[: -len(_SUFFIX)]
            if path.is_file() and _KEY.fullmatch(key) and key not in found:
                found[key] = _File(key, path, packaged=position == 0)
    return found


def available(extra_dirs: Directories = None) -> list[GuidelineInfo]:
    """Every guideline version that loads, by key. A broken extra file is left out (see
    :func:`problems`); a broken packaged file raises, as it is a fault of the release."""
    infos = []
    for key, file in sorted(_files(extra_dirs).items()):
        try:
            infos.append(_read(file.path, *_stamp(file.path)).info)
        except GuidelineError:
            if file.packaged:
                raise
    return infos


def problems(extra_dirs: Directories = None) -> list[str]:
    """Why each extra guideline file is refused: malformed, or a key already packaged."""
    messages = []
    packaged = {key for key, f in _files(None).items() if f.packaged}
    for directory in directories(extra_dirs)[1:]:
        if not directory.is_dir():
            messages.append(f"评价导则目录 {directory} 不存在")
            continue
        for path in sorted(directory.glob("*" + _SUFFIX)):
            key = path.name[: -len(_SUFFIX)]
            if not _KEY.fullmatch(key):
                messages.append(f"评价导则文件 {path.name}：文件名只能含小写字母、数字、点、连字符和下划线")
            elif key in packaged:
                messages.append(f"评价导则文件 {path}：key {key} 与系统自带的导则重名，已忽略")
            else:
                try:
                    _read(path, *_stamp(path))
                except GuidelineError as error:
                    messages.append(str(error))
    return messages


def load(key: str, extra_dirs: Directories = None) -> Guideline:
    """The guideline with this key; GuidelineError if there is none or its file is malformed."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise GuidelineError(f"评价导则“{key}”不存在")
    file = _files(extra_dirs).get(key)
    if file is None:
        raise GuidelineError(f"评价导则“{key}”不存在")
    return _read(file.path, *_stamp(file.path))


def load_file(path: str | os.PathLike[str]) -> Guideline:
    """Read and check one guideline file wherever it is (for a bureau checking a draft)."""
    path = Path(path)
    if not path.is_file():
        raise GuidelineError(f"评价导则文件 {path} 不存在")
    return _read(path, *_stamp(path))


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


@lru_cache(maxsize=256)
def _read(path: Path, size: int, modified: int) -> Guideline:
    del size, modified  # part of the cache key only
    content = path.read_bytes()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GuidelineError(f"评价导则文件 {path.name} 不是 UTF-8 文本：{error}",
                             file=path.name) from error
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise GuidelineError(f"评价导则文件 {path.name} 格式错误：{error}", file=path.name,
                             line=int(line.group(1)) if line else None) from error
    key = path.name[: -len(_SUFFIX)] if path.name.endswith(_SUFFIX) else None
    return parse(data, expected_key=key, source=SourceText(path.name, text),
                 digest=hashlib.sha256(content).hexdigest())
