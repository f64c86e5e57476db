import io
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from workflow.certificate_pdf import (
    CertificateView,
    chinese_date,
    harfbuzz_subset_available,
    render_certificate_pdf,
)

# A4 landscape in PDF points: 297 mm × 210 mm at 72 pt per inch.
A4_LANDSCAPE = (841.89, 595.28)

HANGZHOU_FACTORY = CertificateView(
    number="330100-GF-2026-0001",
    holder="杭州钱塘新材料股份有限公司",
    uscc="91330100MA2H3X4Y5Z",
    kind_label="绿色低碳工厂",
    tier_label="市级",
    issuer="杭州市经济和信息化局",
    valid_from=date(2026, 11, 21),
    valid_until=date(2029, 11, 20),
    verify_url="https://greencert.example.gov.cn/verify/330100-GF-2026-0001",
    scope="杭州市钱塘区临江街道纬十路388号生产基地",
)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


@pytest.fixture(scope="module")
def hangzhou_pdf() -> bytes:
    return render_certificate_pdf(HANGZHOU_FACTORY)


def test_fonts_are_subset_by_harfbuzz():
    # Without libharfbuzz-subset a certificate takes seconds instead of a fifth of one.
    assert harfbuzz_subset_available()


def test_certificate_is_one_a4_landscape_page(hangzhou_pdf):
    [(width, height)] = page_sizes(hangzhou_pdf)
    assert (width, height) == pytest.approx(A4_LANDSCAPE, abs=1)


def test_certificate_states_the_designation_in_chinese(hangzhou_pdf, tmp_path):
    text = pdf_text(hangzhou_pdf, tmp_path)

    assert "绿色低碳工厂证书" in text
    assert "证书编号：330100-GF-2026-0001" in text
    assert "杭州钱塘新材料股份有限公司" in text
    assert "（统一社会信用代码：91330100MA2H3X4Y5Z）被认定为市级绿色低碳工厂。" in text
    assert "认定范围：杭州市钱塘区临江街道纬十路388号生产基地" in text
    assert "有效期" in text
    assert "2026年11月21日至2029年11月20日" in text
    assert "杭州市经济和信息化局" in text
    assert "发证日期：2026年11月21日" in text


def test_certificate_shows_where_to_verify_it(hangzhou_pdf, tmp_path):
    text = pdf_text(hangzhou_pdf, tmp_path)

    assert "扫码验证证书真伪" in text
    assert "https://greencert.example.gov.cn/verify/330100-GF-2026-0001" in text


def test_certificate_without_scope_leaves_the_line_out(tmp_path):
    text = pdf_text(render_certificate_pdf(replace(HANGZHOU_FACTORY, scope="")), tmp_path)

    assert "认定范围" not in text
    assert "有效期" in text


def test_holder_name_is_printed_as_text_not_markup(tmp_path):
    view = replace(HANGZHOU_FACTORY, holder="钱塘<b>新材料</b>&化工有限公司")

    text = pdf_text(render_certificate_pdf(view), tmp_path)

    assert "钱塘<b>新材料</b>&化工有限公司" in text


def test_long_provincial_supply_chain_certificate_still_fits_one_page():
    view = CertificateView(
        number="330000-SC-2026-0123",
        holder="浙江省杭州湾上虞经济技术开发区绿色新能源材料科技集团股份有限公司",
        uscc="91330604MA2JK8L90Q",
        kind_label="绿色低碳供应链管理企业",
        tier_label="省级",
        issuer="浙江省经济和信息化厅",
        valid_from=date(2026, 1, 1),
        valid_until=date(2028, 12, 31),
        verify_url="https://greencert.example.gov.cn/verify/330000-SC-2026-0123",
        scope="浙江省绍兴市上虞区杭州湾上虞经济技术开发区纬五路与经十二路交叉口东北侧"
        "新能源材料产业园一期、二期生产基地及配套仓储物流中心",
    )

    assert len(page_sizes(render_certificate_pdf(view))) == 1


@pytest.mark.parametrize(
    ("day", "printed"),
    [
        (date(2026, 11, 21), "2026年11月21日"),
        # Official documents write months and days without leading zeros.
        (date(2027, 1, 5), "2027年1月5日"),
    ],
)
def test_chinese_date(day, printed):
    assert chinese_date(day) == printed


def test_a_worker_keeps_the_memory_a_render_frees_for_the_next():
    """A block of 12 MiB (a render's font tables are of that size) gets its own mapping by
    default, given back when freed; after `keep_freed_memory` it comes from the heap and stays
    there once freed, for the next render. Each case in a fresh process, as glibc adapts."""
    script = """
import ctypes, sys
from workflow.certificate_pdf import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "keep":
    keep_freed_memory()
size = 12 * 1024 * 1024
before = libc.mallinfo2().hblks
block = libc.malloc(size)
mapped = libc.mallinfo2().hblks - before
libc.free(block)
print("mapped" if mapped else "heap", "kept" if libc.mallinfo2().fordblks >= size else "given back")
"""

    def run(case: str) -> str:
        return subprocess.run([sys.executable, "-c", script, case], capture_output=True, text=True,
                              check=True).stdout.strip()

    assert run("default") == "mapped given back"
    assert run("keep") == "heap kept"
