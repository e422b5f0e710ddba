"""The printed handouts: what a student reads back from the PDF."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

PDFS = ["worked", "student"]


def reader(built, lesson, stem, edition) -> PdfReader:
    return PdfReader(built.out(lesson) / f"{stem}.{edition}.pdf")


@pytest.mark.parametrize("edition", PDFS)
def test_every_page_has_its_number_and_the_stamp(tiny_course, edition):
    pdf = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition)
    total = len(pdf.pages)
    assert total >= 2
    for number, page in enumerate(pdf.pages, start=1):
        text = page.extract_text()
        assert f"page {number} of {total}" in text
        assert "Tag Table Fixture · v1.3 · 2026-03-04" in text


@pytest.mark.parametrize("edition", PDFS)
def test_cover_holds_title_version_date_and_summary(tiny_course, edition):
    first = (
        reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition).pages[0].extract_text()
    )
    assert "Tag Table Fixture" in first and "Version 1.3" in first and "2026-03-04" in first
    assert "Every tag of the format, once" in first


@pytest.mark.parametrize("edition", PDFS)
def test_no_raw_latex_reaches_the_page(tiny_course, edition):
    pdf = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert not re.search(r"\\(frac|sqrt|sum|mathbf|top)\b", text)
    assert "$$" not in text
    assert 'cost = "$5"' in text  # a dollar inside code is code, not math


def test_pdf_metadata_names_lesson_version_and_edition(tiny_course):
    meta = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", "student").metadata
    assert "Tag Table Fixture" in meta.title and "v1.3" in meta.title
    assert "student" in meta.subject and "1.3" in meta.subject
    assert "01_tag_table" in meta["/Keywords"]


def test_unicode_in_title_prose_and_output_survives(tiny_course):
    pdf = reader(tiny_course, "02_second", "02_second_v2.0", "worked")
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Ünïcödé" in text and "αβγ" in text and "жзи" in text and "🎉" in text
