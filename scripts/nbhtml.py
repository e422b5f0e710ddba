"""nbconvert's HTML and reveal.js exporters, made once per process and without a second pass.

Two costs that nbconvert pays on every call and our artifacts never need (lesson 01's deck:
about a third of its render time):

- a new exporter compiles its Jinja templates again (nine of them for a deck), so the
  exporters are made once per process and reused (`exporter`);
- `HTMLExporter.from_notebook_node` renders the page, then parses the whole of it again with
  BeautifulSoup to add `alt` to images that lack one and `tabindex` to the cells of a
  `.jp-Notebook` page, and writes it out again. Our templates write every figure's alt text
  (scripts/alttext.py), the sanitizer gives a raw `<img>` without one an alt (sanitize.py),
  and neither the deck nor the handout is a `.jp-Notebook` page, so that pass changes
  nothing but the bytes' spelling. `_TemplateOnly` renders the template and stops there.
"""

from __future__ import annotations

import functools

from nbconvert import HTMLExporter, SlidesExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from . import assets

# Code cells kept highlighted, by the deck and by print alike: a course of 40 lessons has
# about a thousand.
HIGHLIGHT_CACHE = 4096


class _TemplateOnly:
    """Mixed into an nbconvert HTML exporter: the template's output is the page."""

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        # What HTMLExporter registers per call (which outputs to show, by MIME type); the
        # highlighting filter is ours and was given when the exporter was made.
        data_types = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("filter_data_type", data_types)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


class _Html(_TemplateOnly, HTMLExporter):
    pass


class _Slides(_TemplateOnly, SlidesExporter):
    pass


KINDS = {"html": _Html, "slides": _Slides}


@functools.cache
def exporter(kind: str, template: str, highlight) -> HTMLExporter:
    """The exporter for one of our templates (`templates/<template>/`), made once per process.

    `highlight` is the code highlighting filter (a module-level function, so the cache key is
    stable). Safe to reuse: each call gets its own resources, and the build is one thread.
    """
    return KINDS[kind](
        extra_template_basedirs=[str(assets.TEMPLATES)],
        extra_template_paths=[str(assets.TEMPLATES)],  # code_input.html.j2, shared by both
        template_name=template,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={"highlight_code": highlight},
    )
