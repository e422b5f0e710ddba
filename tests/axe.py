"""axe-core (pinned in package.json, read from node_modules) run in Chromium on a built page.

A deck is checked slide by slide: reveal.js hides every slide but the current one, so axe
sees one slide at a time, as a reader does. `python -m tests.axe FILE...` prints the
violations of built decks and pages, for a before/after count.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 levels A and AA, as the issue and accessibility offices ask; best-practice rules
# (landmarks, region) are advice, not conformance, and are left out.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async ([tags, context]) => {
  const result = await axe.run(context || document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.split('\\n')[1])
  }));
}"""
PRESENT = ".reveal .slides section.present"  # reveal.js marks the slide on show
GO_TO_SLIDE = """(index) => new Promise(done => {
  const i = Reveal.getIndices(Reveal.getSlides()[index]);
  Reveal.slide(i.h, i.v);
  requestAnimationFrame(() => requestAnimationFrame(done));
})"""


def open_offline(browser, page_file: Path):
    """A page opened from disk in a context with the network off, and its context."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(page_file.as_uri())
    return context, page


def page_violations(browser, page_file: Path) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on a plain page (the course page)."""
    context, page = open_offline(browser, page_file)
    try:
        page.add_script_tag(path=str(AXE))
        return page.evaluate(RUN_AXE, [WCAG_TAGS, None])
    finally:
        context.close()


def deck_violations(browser, deck: Path) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on every slide of a deck, each with its slide number."""
    context, page = open_offline(browser, deck)
    try:
        page.wait_for_selector(".reveal.ready", timeout=10_000)
        page.add_script_tag(path=str(AXE))
        found = []
        for index in range(page.evaluate("() => Reveal.getSlides().length")):
            page.evaluate(GO_TO_SLIDE, index)
            # The whole page once (lang, title, controls, slide number), then only the slide
            # on show: the rest is hidden from axe anyway, and this halves the time per slide.
            scope = None if index == 0 else {"include": [[PRESENT]]}
            violations = page.evaluate(RUN_AXE, [WCAG_TAGS, scope])
            found += [dict(v, slide=index + 1) for v in violations]
        return found
    finally:
        context.close()


def main(files: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    from scripts.preview import CHROMIUM_ARGS, find_chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        for name in files:
            path = Path(name).resolve()
            deck = path.name.endswith(".slides.html")
            found = deck_violations(browser, path) if deck else page_violations(browser, path)
            nodes = sum(len(v["nodes"]) for v in found)
            rules = sorted({v["rule"] for v in found})
            print(f"{path.name}: {len(found)} violation(s), {nodes} node(s); rules {rules}")
            for v in found:
                where = f"slide {v['slide']}: " if "slide" in v else ""
                print(f"  {where}{v['rule']} ({v['impact']}): {v['nodes'][0]}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
