"""Every deck opened from disk in Debian's Chromium with the network off, slide by slide.

The decks: the fixture course, "other people's" lessons (tests/fixtures/others) and the
course's own four lessons. Each slide is measured (scripts/preview.py: MEASURE) and checked
against the layout rules; the presenting features are tried on tests/fixtures/others'
04_presenting the way a lecturer would use them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.editions import tags
from scripts.lesson import read_lesson
from scripts.preview import NEXT_FRAME, measure_slides, slide_problems

from .conftest import FIXTURES, has_chromium

CHROMIUM = has_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium at /usr/bin/chromium or on the PATH (.ci/run installs Debian's "
        "`chromium` with apt); the deck browser checks are skipped",
    ),
]
LESSONS = sorted(p.stem for p in (FIXTURES / "course" / "sources").glob("[0-9][0-9]_*.py"))
OTHERS = sorted(p.stem for p in (FIXTURES / "others" / "sources").glob("[0-9][0-9]_*.py"))
REAL = sorted(p.stem for p in (FIXTURES.parent.parent / "sources").glob("[0-9][0-9]_*.py"))
PRESENTING = "04_presenting"


@pytest.fixture(scope="module")
def opened(tiny_course, browser):
    """Each fixture course deck opened once: what it logged and requested, every slide measured."""
    return {lesson: _open_deck(browser, _deck(tiny_course.out(lesson))) for lesson in LESSONS}


@pytest.fixture(scope="module")
def opened_others(others_course, browser):
    return {lesson: _open_deck(browser, _deck(others_course.out(lesson))) for lesson in OTHERS}


@pytest.fixture(scope="module")
def opened_real(real_decks, browser):
    return {lesson: _open_deck(browser, deck) for lesson, deck in real_decks.items()}


@pytest.fixture
def presenting(others_course, browser):
    """The presenting fixture's deck in a fresh page (offline), at its first slide."""
    context = _offline_context(browser)
    page = context.new_page()
    page.goto(_deck(others_course.out(PRESENTING)).as_uri())
    page.wait_for_selector(".reveal.ready", timeout=10_000)
    yield page
    context.close()


def _deck(folder: Path) -> Path:
    (deck,) = folder.glob("*.slides.html")
    return deck


def _offline_context(browser, requests: list[str] | None = None):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})

    def only_the_file(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            if requests is not None:
                requests.append(url)
            route.abort()

    context.route("**/*", only_the_file)
    return context


# The font families whose faces the page has loaded: a face loads only when text uses it.
LOADED_FONTS = """async () => {
  await document.fonts.ready;
  return [...document.fonts].filter(f => f.status === "loaded").map(f => f.family);
}"""


def _open_deck(browser, deck: Path) -> dict:
    requests: list[str] = []
    context = _offline_context(browser, requests)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=10_000)
    slides = measure_slides(page)
    seen = {
        "errors": errors,
        "requests": requests,
        "total": page.evaluate("() => Reveal.getTotalSlides()"),
        "meant": int(page.get_attribute('meta[name="slide-count"]', "content")),
        "size": page.evaluate("() => [Reveal.getConfig().width, Reveal.getConfig().height]"),
        "notes": page.eval_on_selector_all("aside.notes", "els => els.map(e => e.textContent)"),
        "first": page.evaluate("() => Reveal.getSlides()[0].textContent"),
        "slides": slides,
        "fonts": page.evaluate(LOADED_FONTS),
    }
    context.close()
    return seen


def _every_deck(request) -> dict:
    """The opened decks of all three corpora, by lesson name (real ones only when asked)."""
    decks = dict(request.getfixturevalue("opened"))
    decks.update(request.getfixturevalue("opened_others"))
    return decks


@pytest.mark.parametrize("lesson", LESSONS + OTHERS)
def test_reveal_starts_without_console_or_page_errors(request, lesson):
    assert _every_deck(request)[lesson]["errors"] == []


@pytest.mark.parametrize("lesson", LESSONS + OTHERS)
def test_deck_requests_nothing_outside_its_own_file(request, lesson):
    assert _every_deck(request)[lesson]["requests"] == []


@pytest.mark.parametrize("lesson", LESSONS + OTHERS)
def test_reveal_shows_as_many_slides_as_the_build_meant(request, lesson):
    seen = _every_deck(request)[lesson]
    assert seen["total"] == seen["meant"] == len(seen["slides"])


def test_a_word_in_chinese_is_drawn_by_a_face_the_deck_carries(opened_others):
    fonts = [family.strip('"') for family in opened_others["05_pictures"]["fonts"]]
    assert "Deck Fallback" in fonts and "Deck Mono" in fonts
    assert "Deck Fallback" not in [f.strip('"') for f in opened_others["03_no_headings"]["fonts"]]


def test_long_content_is_split_onto_continuation_slides(opened):
    titles = [s["title"] for s in opened["04_long_content"]["slides"]]
    assert "Output taller than a slide MARK_TALL_OUTPUT (cont.)" in titles
    assert titles.count("More cells than one slide holds MARK_MANY_CELLS (cont.)") >= 1


@pytest.mark.parametrize("lesson", LESSONS + OTHERS)
def test_no_slide_overflows_is_near_empty_or_shows_output_without_its_code(request, lesson):
    seen = _every_deck(request)[lesson]
    assert tuple(seen["size"]) == (1280, 720)  # 16:9
    assert _broken(seen["slides"]) == {}


@pytest.mark.slow
@pytest.mark.parametrize("lesson", REAL)
def test_the_course_decks_keep_every_layout_rule(opened_real, lesson):
    seen = opened_real[lesson]
    assert seen["errors"] == [] and seen["requests"] == []
    assert seen["total"] == seen["meant"] == len(seen["slides"])
    assert _broken(seen["slides"]) == {}


def _broken(slides: list[dict]) -> dict:
    """The rules each slide breaks, with its number and title, for a readable failure."""
    problems = slide_problems(slides)
    return {
        rule: [
            f"slide {n} {slides[n - 1]['title']!r} (to {slides[n - 1]['bottom']:.0f}px)"
            for n in numbers
        ]
        for rule, numbers in problems.items()
        if numbers
    }


def test_a_prose_cell_longer_than_a_slide_is_cut_between_its_blocks(opened_others):
    slides = opened_others["01_converted_notebook"]["slides"]
    titles = [s["title"] for s in slides]
    assert "Scope of this notebook (cont.)" in titles
    assert len({n for n, t in enumerate(titles) if t.startswith("Scope of this notebook")}) >= 2


def test_a_notebook_without_headings_still_gets_slides_that_fit(opened_others):
    slides = opened_others["03_no_headings"]["slides"]
    assert len(slides) >= 3  # the title slide, then the prose and code on slides of their own
    assert "MARK_NO_HEADINGS_END" not in slides[0]["title"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_speaker_notes_exist_where_the_source_has_notes_cells(opened, lesson):
    source = read_lesson(FIXTURES / "course" / "sources" / f"{lesson}.py")
    wanted = [_words(c.source)[:40] for c in source.notebook.cells if "notes" in tags(c)]
    shown = [_words(text) for text in opened[lesson]["notes"]]
    assert len(shown) == len(wanted)
    assert all(any(w in s for s in shown) for w in wanted)


def test_a_lesson_with_notes_has_them_in_the_deck(opened):
    assert any("MARK_NOTES" in text for text in opened["01_tag_table"]["notes"])


@pytest.mark.parametrize("lesson", LESSONS)
def test_title_slide_shows_title_version_and_date(opened, lesson):
    info = read_lesson(FIXTURES / "course" / "sources" / f"{lesson}.py").info
    first = opened[lesson]["first"]
    assert info.title in first and f"Version {info.version}" in first and info.date in first


def test_title_slide_names_course_lesson_number_and_author_from_the_course_config(opened_others):
    first = opened_others[PRESENTING]["first"]
    assert "Fixture Course MARK_COURSE" in first and "Someone Else MARK_AUTHOR" in first
    assert "Lesson 04" in first and "Presenting Features" in first and "Version 1.0" in first


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_`#]", "", text)).strip()


def test_pressing_s_opens_the_speaker_view_with_the_notes(tiny_course, browser):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(_deck(tiny_course.out("01_tag_table")).as_uri())
    page.wait_for_selector(".reveal.ready")
    page.evaluate("() => Reveal.slide(1)")  # the slide whose notes say MARK_NOTES
    with context.expect_page() as opened_view:
        page.keyboard.press("s")
    speaker = opened_view.value
    notes = speaker.wait_for_selector(".speaker-controls-notes .value", timeout=10_000)
    speaker.wait_for_function(
        "() => document.querySelector('.speaker-controls-notes .value').textContent.trim()"
    )
    assert "MARK_NOTES" in notes.text_content()
    context.close()


# The presenting features, used as a lecturer would.


def _go_to_slide_with(page, text: str) -> int:
    index = page.evaluate(
        "(text) => Reveal.getSlides().findIndex(s => s.textContent.includes(text))", text
    )
    assert index >= 0, f"no slide shows {text}"
    page.evaluate(
        f"() => {{ const i = Reveal.getIndices(Reveal.getSlides()[{index}]); "
        "Reveal.slide(i.h, i.v, -1); }"
    )
    page.evaluate(NEXT_FRAME)
    return index


def _current_slide(page) -> int:
    return page.evaluate("() => Reveal.getSlides().indexOf(Reveal.getCurrentSlide())")


def test_a_list_tagged_incremental_reveals_item_by_item(presenting):
    _go_to_slide_with(presenting, "MARK_ITEM_ONE")
    visible = "() => Reveal.getCurrentSlide().querySelectorAll('li.fragment.visible').length"
    counts = [presenting.evaluate(visible)]
    for _ in range(3):
        presenting.keyboard.press("ArrowRight")
        counts.append(presenting.evaluate(visible))
    assert counts == [0, 1, 2, 3]


def test_a_cell_with_fragment_metadata_appears_on_the_next_step(presenting):
    _go_to_slide_with(presenting, "MARK_FRAGMENT_CELL")
    shown = (
        "() => Reveal.getCurrentSlide().querySelector('.fragment').classList.contains('visible')"
    )
    before = presenting.evaluate(shown)
    presenting.keyboard.press("ArrowRight")
    assert (before, presenting.evaluate(shown)) == (False, True)


def test_a_walk_through_lights_its_line_ranges_step_by_step(presenting):
    _go_to_slide_with(presenting, "MARK_WALKTHROUGH")
    lit = (
        "() => Array.from(Reveal.getCurrentSlide().querySelectorAll('.line-steps pre > .line'))"
        ".flatMap((line, i) => line.classList.contains('lit') ? [i + 1] : [])"
    )
    steps = [presenting.evaluate(lit)]
    for _ in range(2):
        presenting.keyboard.press("ArrowRight")
        steps.append(presenting.evaluate(lit))
    assert steps == [[1, 2, 3], [4, 5], [7]]  # steps="1-3|4-5|7"


def test_search_finds_a_word_on_its_slide(presenting):
    wanted = presenting.evaluate(
        "() => Reveal.getSlides().findIndex(s => s.textContent.includes('MARK_SEARCHABLE'))"
    )
    presenting.keyboard.press("Control+Shift+F")
    box = presenting.wait_for_selector("input.searchinput", state="visible")
    box.fill("MARK_SEARCHABLE")
    box.press("Enter")
    presenting.evaluate(NEXT_FRAME)
    assert wanted > 0 and _current_slide(presenting) == wanted


def test_the_slide_menu_lists_every_slide_and_goes_to_the_one_clicked(presenting):
    presenting.keyboard.press("m")
    menu = presenting.wait_for_selector("nav.deck-menu", state="visible")
    entries = menu.query_selector_all("li a")
    total = presenting.evaluate("() => Reveal.getTotalSlides()")
    assert len(entries) == total and "Something to search for" in entries[-1].text_content()
    entries[2].click()
    assert _current_slide(presenting) == 2 and not menu.is_visible()
    presenting.keyboard.press("m")
    presenting.keyboard.press("Escape")  # closes the menu, and only the menu
    assert not menu.is_visible() and not presenting.evaluate("() => Reveal.isOverview()")


def test_the_zoom_and_search_plugins_are_in_the_deck(presenting):
    plugins = presenting.evaluate("() => ['zoom', 'search', 'notes'].map(Reveal.hasPlugin)")
    assert plugins == [True, True, True]


def test_the_copy_button_copies_the_code_as_written(presenting, browser):
    presenting.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _go_to_slide_with(presenting, "MARK_WALKTHROUGH")
    button = presenting.locator(".present button.copy-code").first
    button.click()
    presenting.wait_for_function(
        "() => document.querySelector('.present button.copy-code').textContent === 'Copied'"
    )
    copied = presenting.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("def total(values):\n    result = 0\n")
    assert "print(total([1, 2, 3]))  # MARK_WALKTHROUGH\n" in copied and "Copy" not in copied


def test_print_pdf_puts_the_lesson_stamp_on_every_page(others_course, opened_others, browser):
    context = _offline_context(browser)
    page = context.new_page()
    page.goto(_deck(others_course.out(PRESENTING)).as_uri() + "?print-pdf")
    page.wait_for_selector(".reveal.ready", timeout=10_000)
    page.wait_for_function("() => document.querySelectorAll('.pdf-page .deck-stamp').length > 0")
    pages = page.evaluate("() => document.querySelectorAll('.pdf-page').length")
    stamps = page.eval_on_selector_all(
        ".pdf-page .deck-stamp", "els => els.map(e => e.textContent)"
    )
    context.close()
    assert pages == opened_others[PRESENTING]["meant"] and len(stamps) == pages  # one a slide
    assert all("04_presenting" in s and "v1.0" in s for s in stamps)
