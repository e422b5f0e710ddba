"""Every deck of the fixture course, opened from disk in Debian's Chromium with the network off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.editions import tags
from scripts.lesson import read_lesson
from scripts.preview import CHROMIUM_ARGS

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

# Per slide: how far its content reaches (in slide pixels, Reveal's scale undone) and which
# elements clip their own content (a scroll box hides code as surely as the slide's edge).
MEASURE = """(slide) => {
  const scale = Reveal.getScale();
  const box = slide.getBoundingClientRect();
  const heading = slide.querySelector('h1, h2');
  const found = {title: (heading || slide).textContent.replace('¶', '').trim().slice(0, 60),
                 bottom: 0, right: 0, left: 0, clipped: []};
  for (const el of slide.querySelectorAll('*')) {
    if (el.closest('aside.notes')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    found.bottom = Math.max(found.bottom, (r.bottom - box.top) / scale);
    found.right = Math.max(found.right, (r.right - box.left) / scale);
    found.left = Math.min(found.left, (r.left - box.left) / scale);
    const style = getComputedStyle(el);
    const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
    if (clips && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) {
      found.clipped.push(el.tagName.toLowerCase() + '.' + el.className);
    }
  }
  return found;
}"""
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def opened(tiny_course, browser):
    """Each deck opened once: what it logged and requested, and every slide measured."""
    seen = {}
    for lesson in LESSONS:
        seen[lesson] = _open_deck(browser, _deck(tiny_course.out(lesson)))
    return seen


def _deck(folder: Path) -> Path:
    (deck,) = folder.glob("*.slides.html")
    return deck


def _open_deck(browser, deck: Path) -> dict:
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
    requests: list[str] = []

    def only_the_file(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=10_000)
    slides = []
    for index in range(page.evaluate("() => Reveal.getSlides().length")):
        page.evaluate(
            f"() => {{ const s = Reveal.getSlides()[{index}]; "
            "const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }"
        )
        page.evaluate(NEXT_FRAME)
        handle = page.evaluate_handle(f"() => Reveal.getSlides()[{index}]")
        slides.append(page.evaluate(MEASURE, handle))
    seen = {
        "errors": errors,
        "requests": requests,
        "total": page.evaluate("() => Reveal.getTotalSlides()"),
        "meant": int(page.get_attribute('meta[name="slide-count"]', "content")),
        "size": page.evaluate("() => [Reveal.getConfig().width, Reveal.getConfig().height]"),
        "notes": page.eval_on_selector_all("aside.notes", "els => els.map(e => e.textContent)"),
        "first": page.evaluate("() => Reveal.getSlides()[0].textContent"),
        "slides": slides,
    }
    context.close()
    return seen


@pytest.mark.parametrize("lesson", LESSONS)
def test_reveal_starts_without_console_or_page_errors(opened, lesson):
    assert opened[lesson]["errors"] == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_deck_requests_nothing_outside_its_own_file(opened, lesson):
    assert opened[lesson]["requests"] == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_reveal_shows_as_many_slides_as_the_build_meant(opened, lesson):
    seen = opened[lesson]
    assert seen["total"] == seen["meant"] == len(seen["slides"])


def test_long_content_is_split_onto_continuation_slides(opened):
    titles = [s["title"] for s in opened["04_long_content"]["slides"]]
    assert "Output taller than a slide MARK_TALL_OUTPUT (cont.)" in titles
    assert titles.count("More cells than one slide holds MARK_MANY_CELLS (cont.)") >= 2


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_slide_content_is_taller_or_wider_than_the_slide(opened, lesson):
    width, height = opened[lesson]["size"]
    assert (width, height) == (1280, 720)  # 16:9
    over = [
        f"slide {n} {s['title']!r}: reaches {s['bottom']:.0f}x{s['right']:.0f}, "
        f"left {s['left']:.0f}, clipped {s['clipped']}"
        for n, s in enumerate(opened[lesson]["slides"], start=1)
        if s["bottom"] > height + 1 or s["right"] > width + 1 or s["left"] < -1 or s["clipped"]
    ]
    assert over == []


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
