"""Evidence uploads: the type is decided by the content, names are generated, size is limited."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from evaluators.messages import message
from workflow.errors import Invalid

# (leading bytes, content type, extension)
SIGNATURES = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"PK\x03\x04", "application/zip", ".zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", ".doc"),
]
OFFICE = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
LEGACY = {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}
MAX_FILE_BYTES = 20 * 1024 * 1024
# A zip (and every Office document, which is one) may not unpack to more than this, nor more
# than MAX_RATIO times its own size: a decompression bomb is refused before anyone opens it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100


@dataclass(frozen=True)
class Upload:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def accept(file: FileStorage | None) -> Upload:
    if file is None or not file.filename:
        raise Invalid.field("file", "请选择要上传的文件")
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Invalid.field("file", message("文件不能超过%(size)sMB", size=MAX_FILE_BYTES // 1024 // 1024))
    if not data:
        raise Invalid.field("file", "文件是空的")
    name = file.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            if extension == ".zip" and suffix in OFFICE:
                content_type, extension = OFFICE[suffix], suffix
            elif extension == ".doc" and suffix in LEGACY:
                content_type, extension = LEGACY[suffix], suffix
            break
    else:
        raise Invalid.field("file", "只接受 PDF、图片（PNG/JPEG）、Office 文档或 ZIP 压缩包")
    if data.startswith(b"PK\x03\x04"):
        _refuse_bombs(data)
    return Upload(
        original_name=name, stored_name=f"{uuid.uuid4().hex}{extension}", content_type=content_type,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
    )


def _refuse_bombs(data: bytes) -> None:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise Invalid.field("file", "压缩文件已损坏，无法打开") from None
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * len(data):
        raise Invalid.field("file", "压缩文件解压后过大，疑似压缩炸弹，已拒收")


def accept_all(files: list[FileStorage]) -> list[Upload]:
    """Every chosen file of a multi-file input, each checked as `accept` does."""
    return [accept(f) for f in files if f and f.filename]


def described(uploads: list[Upload]) -> list[dict[str, object]]:
    return [{"name": u.original_name, "stored_name": u.stored_name, "content_type": u.content_type,
             "size": u.size, "sha256": u.sha256} for u in uploads]


def store(uploads: list[Upload], folder: str) -> None:
    from workflow import runtime

    for upload in uploads:
        runtime.current().storage.save(f"{folder}/{upload.stored_name}", upload.data)
