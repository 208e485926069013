"""common.graphs: DOT to inlinable SVG through the real ``dot`` program — escaping of
names people type, the accessible name, the cache, and a clear error (not a 500) when
``dot`` is missing."""

import pytest

from common.graphs import (
    GraphUnavailable,
    dot_label,
    flowchart_digraph,
    label_text,
    svg_document,
    svg_render,
)
from tests.harness.svg import SVG, needs_dot, svg_root, texts

pytestmark = [needs_dot, pytest.mark.usefixtures("fresh_drawings")]

HOSTILE = "Ops <script>alert(\"x\")</script> & 'co' \\N \\ --> ]]>\n<b>bold</b> &lt;&#60;\\"


def test_svg_is_inlinable_well_formed_and_named_for_screen_readers():
    graph = flowchart_digraph()
    graph.node("a", dot_label("First"))
    graph.node("b", dot_label("Second"))
    graph.edge("a", "b")
    svg = svg_render(graph, title="Two steps")
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    root = svg_root(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Two steps"
    assert root.find(f"{SVG}title").text == "Two steps"
    assert "First" in texts(svg) and "Second" in texts(svg)
    # The CSP refuses style attributes and elements: dot writes presentation attributes.
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    document = svg_document(svg)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    svg_root(document.encode())


def test_hostile_names_stay_text_in_labels_and_the_title():
    graph = flowchart_digraph()
    graph.node("n1", dot_label(label_text(HOSTILE, max_chars=200), "second line"))
    # A whole label that looks HTML-like is still text, not Graphviz HTML.
    graph.node("n2", dot_label(label_text("<b>bold</b>")))
    svg = svg_render(graph, title=HOSTILE)
    root = svg_root(svg)  # well-formed despite <, &, quotes, --> and ]]>
    one_line = " ".join(HOSTILE.split())
    assert root.get("aria-label") == one_line
    assert root.find(f"{SVG}title").text == one_line
    assert "<script" not in svg and "<b>" not in svg
    shown = texts(svg)
    # Whitespace collapsed to one line; the backslashes are shown, not DOT escapes
    # (\N would have printed the node's name "n1").
    assert (
        "Ops <script>alert(\"x\")</script> & 'co' \\N \\ --> ]]> <b>bold</b> &lt;&#60;\\" in shown
    )
    assert "n1" not in shown
    assert "<b>bold</b>" in shown
    assert "second line" in shown


def test_long_names_are_shortened_in_the_picture():
    assert label_text("x" * 100) == "x" * 59 + "…"
    assert label_text("  a \n\t b  ") == "a b"


def test_a_missing_dot_is_a_clear_domain_error(settings):
    settings.GRAPHVIZ_DOT = "/nonexistent/dot"
    graph = flowchart_digraph()
    graph.node("a", dot_label("A"))
    with pytest.raises(GraphUnavailable) as raised:
        svg_render(graph, title="A")
    assert raised.value.status_code == 503
    assert "Graphviz" in raised.value.detail


def test_broken_dot_source_is_a_clear_domain_error():
    with pytest.raises(GraphUnavailable) as raised:
        svg_render("digraph { a -> ", title="Broken")
    assert "dot failed" in raised.value.detail


def test_the_same_source_is_drawn_once(settings):
    graph = flowchart_digraph()
    graph.node("a", dot_label("Cached"))
    first = svg_render(graph, title="Cached")
    # With dot gone, the cached drawing still answers: the same DOT is not drawn again.
    settings.GRAPHVIZ_DOT = "/nonexistent/dot"
    assert svg_render(graph, title="Cached") == first
    graph.node("b", dot_label("Changed"))
    with pytest.raises(GraphUnavailable):
        svg_render(graph, title="Cached")
