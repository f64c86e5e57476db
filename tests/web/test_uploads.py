"""Uploads: what the content is, not what the name says; zip bombs refused before opening."""
from __future__ import annotations

import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

from web.uploads import accept
from workflow.errors import Invalid


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(data: bytes, name: str):
    return accept(FileStorage(io.BytesIO(data), filename=name))


def test_a_zip_that_unpacks_a_hundredfold_is_refused() -> None:
    bomb = zipped({"台账.csv": b"0" * (50 * 1024 * 1024)})  # 50 MB of zeros packs to ~50 KB
    assert len(bomb) < 1024 * 1024
    with pytest.raises(Invalid, match="压缩炸弹"):
        upload(bomb, "能源台账.zip")


def test_a_real_office_document_and_zip_pass() -> None:
    workbook = upload(zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>" * 50}), "能源报表.xlsx")
    assert workbook.content_type.endswith("spreadsheetml.sheet") and workbook.stored_name.endswith(".xlsx")
    assert upload(zipped({"a.pdf": b"%PDF-1.4 " + bytes(range(256)) * 40}), "材料.zip").content_type == "application/zip"


def test_a_broken_zip_and_a_disguised_program_are_refused() -> None:
    with pytest.raises(Invalid, match="已损坏"):
        upload(b"PK\x03\x04" + b"\x00" * 100, "材料.zip")
    with pytest.raises(Invalid, match="只接受"):
        upload(b"MZ\x90\x00\x03", "报告.pdf")


def test_names_are_generated_and_paths_dropped() -> None:
    result = upload(b"%PDF-1.7 x", "../../../etc/passwd.pdf")
    assert result.original_name == "passwd.pdf" and "/" not in result.stored_name and ".." not in result.stored_name
