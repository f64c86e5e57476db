"""The certificate PDF (证书): an A4 landscape page in Chinese with a QR code to the verification page.

Rendering is pure: a frozen :class:`CertificateView` in, PDF bytes out. Loading the
designation, allocating the number and signing the PDF belong to the caller.
"""

from __future__ import annotations

import ctypes
import functools
import gc
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2
import segno
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
CERTIFICATE_TEMPLATE = "certificates/certificate.html"


@dataclass(frozen=True)
class CertificateView:
    """What a certificate shows; every field is already in its printed form except the dates."""

    number: str
    holder: str
    uscc: str
    kind_label: str
    tier_label: str
    issuer: str
    valid_from: date
    valid_until: date
    verify_url: str
    scope: str = ""


def chinese_date(day: date) -> str:
    """Format a date the way Chinese official documents do: 2026年11月21日."""
    return f"{day.year}年{day.month}月{day.day}日"


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz.

    Without libharfbuzz-subset WeasyPrint silently falls back to fontTools and a one-page
    Chinese certificate takes about 12 s instead of about 0.2 s (STACK.md). The version test
    repeats WeasyPrint's own condition in ``weasyprint.pdf.fonts``.
    """
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))


BASE_URL = str(TEMPLATES_DIR / "certificates") + "/"  # where the stylesheet is found


def certificate_html(view: CertificateView) -> str:
    """The certificate's page as HTML, with its QR code inline."""
    return _environment().get_template(CERTIFICATE_TEMPLATE).render(
        view=view,
        title=f"{view.kind_label}证书",
        valid_from=chinese_date(view.valid_from),
        valid_until=chinese_date(view.valid_until),
        qr_code=_qr_code_data_uri(view.verify_url),
    )


def render_certificate_pdf(view: CertificateView) -> bytes:
    """Render one certificate as a one-page PDF."""
    html = certificate_html(view)
    try:
        return HTML(
            string=html,
            base_url=BASE_URL,
            # The stylesheet is a local file and the QR code a data URI; nothing is fetched
            # from the network, whatever ends up in the certificate's text.
            url_fetcher=URLFetcher(allowed_protocols={"file", "data"}),
        ).write_pdf(font_config=_font_configuration())
    finally:
        # WeasyPrint leaves large reference cycles behind; collecting them keeps a worker
        # under 300 MiB instead of climbing towards 900 MiB (STACK.md). In a worker the loaded
        # code is frozen out of the collector (jobs.prepare_worker), so a collection takes a few
        # milliseconds instead of about 70, and the memory it frees stays with the process for
        # the next render (keep_freed_memory).
        gc.collect()


def _qr_code_data_uri(url: str) -> str:
    # Level M survives a fold or a stain on a printed certificate; the border is the
    # four-module quiet zone ISO/IEC 18004 asks for.
    return segno.make_qr(url, error="m").svg_data_uri(scale=4, border=4, dark="#1b1b1b", light="#ffffff")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# glibc's mallopt parameters (malloc.h) and the values a worker sets.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest: blocks below it come from the reusable heap
TRIM_THRESHOLD = 16 * 1024 * 1024  # free memory at the heap's top kept for the next render


def keep_freed_memory() -> bool:
    """Have glibc keep the memory a render frees for the next render, instead of handing it back.

    By default glibc returns freed blocks of more than 128 KiB to the system at once (mmap and
    munmap), and trims its heap whenever 128 KiB lie free at the top. A render frees its memory
    in bulk when its reference cycles are collected, so the next render faulted some 60 MB back
    in, page by page: about 20 ms a certificate, a sixth of the render. With these thresholds
    the blocks come from the heap, which the next render reuses, and at most 16 MiB stays free
    at its top; the collection after each render still bounds the worker's size. False where
    the C library is not glibc (nothing changes there)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def warm() -> None:
    """Load the fonts and the template ahead of the first certificate (a worker at start)."""
    _font_configuration()
    _environment().get_template(CERTIFICATE_TEMPLATE)


@functools.cache
def _font_configuration() -> FontConfiguration:
    # One per process: building it loads fontconfig's view of the system fonts.
    return FontConfiguration()

