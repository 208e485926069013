"""Graphviz DOT source (a ``graphviz.Digraph``) to SVG text, in one place.

``svg_render`` runs Debian's ``dot`` binary as a subprocess with a time limit and keeps
what it drew, per process, under a hash of the DOT source (a flowchart only changes when
its rows do, so most page views draw nothing; bench/flowcharts.py has the figures). The SVG comes back ready to inline in a page: no XML
prolog or DOCTYPE, ``role="img"`` and an accessible name; it keeps dot's natural width
and height (the page's CSS, ``max-width: 100%; height: auto``, scales it down on a phone).

Escaping: the ``graphviz`` package quotes plain labels, and ``dot`` escapes ``<``, ``&``
and quotes in the SVG it writes, but HTML-like labels (``<...>``) pass through unescaped
and backslashes start DOT escapes (``\\N`` is the node's name). Put user-typed text in
labels only through ``label_text``, which neutralises both; node and graph identifiers
should be our own (``r0``, ``t3``): dot writes them into SVG comments and ``<title>``.
"""

import hashlib
import re
import subprocess
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.html import escape

from common.errors import DomainError

# Drawings kept per process, newest last. The key is a hash of the DOT source, so an
# entry is never stale and processes need not share them; Django's default cache is a
# database table here, which would cost a query per chart on every page.
CACHE_ENTRIES = 256
_drawn: OrderedDict[str, str] = OrderedDict()
_drawn_lock = threading.Lock()
# Long names make boxes as wide as the page; the full text stays in the page's outline.
LABEL_MAX_CHARS = 60
FONT = "Helvetica,Arial,sans-serif"

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_GRAPH_TITLE = re.compile(r'(<g id="graph0" class="graph"[^>]*>)\s*<title>[^<]*</title>')
_WHITESPACE = re.compile(r"\s+")


class GraphUnavailable(DomainError):
    """``dot`` is not installed, failed or took too long: the page shows its text outline
    instead (and the download answers 503)."""

    status_code = 503
    default_detail = "The flowchart cannot be drawn right now."


def label_text(value: Any, *, max_chars: int = LABEL_MAX_CHARS) -> str:
    """A user-typed name made safe inside a plain DOT label: one line, whitespace
    collapsed, shortened, backslashes doubled (so ``\\N`` or a trailing ``\\`` stay
    text) and ``&`` escaped (so ``&lt;`` stays text). Join the pieces of a label with
    ``dot_label``."""
    text = _WHITESPACE.sub(" ", str(value)).strip()
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    # dot reads HTML entities even in plain labels ("&amp;" would show as "&").
    return text.replace("\\", "\\\\").replace("&", "&amp;")


def dot_label(*lines: str) -> str:
    """A plain (never HTML-like) DOT label of ``lines`` (each already through
    ``label_text`` or our own text), one per line."""
    import graphviz

    return graphviz.nohtml("\\n".join(line for line in lines if line))


def flowchart_digraph(*, rankdir: str = "TB") -> Any:
    """An empty Digraph with the house style: sans-serif, transparent background (the
    page's box gives the colour), boxes with rounded corners."""
    import graphviz

    graph = graphviz.Digraph("flowchart")
    graph.attr(rankdir=rankdir, bgcolor="transparent", fontname=FONT, fontsize="12", pad="0.1")
    graph.attr("node", shape="box", style="rounded", fontname=FONT, fontsize="12", margin="0.15")
    graph.attr("edge", fontname=FONT, fontsize="10", color="#555555", fontcolor="#333333")
    return graph


def dot_program() -> str:
    return settings.GRAPHVIZ_DOT


def _run_dot(source: str) -> str:
    timeout = settings.GRAPHVIZ_TIMEOUT_SECONDS
    try:
        finished = subprocess.run(  # noqa: S603 - fixed program, DOT on stdin
            [dot_program(), "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GraphUnavailable(
            "The flowchart cannot be drawn: Graphviz (the dot program) is not installed."
        ) from None
    except subprocess.TimeoutExpired:
        raise GraphUnavailable(
            f"The flowchart took longer than {timeout} s to draw and was given up."
        ) from None
    if finished.returncode != 0:
        problem = finished.stderr.decode(errors="replace").strip().splitlines()[:1]
        raise GraphUnavailable(
            "The flowchart cannot be drawn: dot failed" + (f" ({problem[0]})." if problem else ".")
        )
    return finished.stdout.decode()


def _inlinable(svg: str, *, title: str) -> str:
    svg = _PROLOG.sub("", svg, count=1)
    opening = _SVG_OPEN.search(svg)
    if opening is None:
        raise GraphUnavailable("The flowchart cannot be drawn: dot wrote no SVG.")
    tag = opening.group(0)
    safe_title = escape(_WHITESPACE.sub(" ", title).strip())
    tag = tag[:-1].rstrip() + f' role="img" aria-label="{safe_title}" class="flowchart-svg">'
    rest = _GRAPH_TITLE.sub(r"\1", svg[opening.end() :], count=1)
    return f"{tag}\n<title>{safe_title}</title>{rest}".strip()


def svg_render(graph: Any, *, title: str = "Flowchart") -> str:
    """The SVG of ``graph`` (a ``graphviz.Digraph``/``Graph``, or DOT source text),
    inlinable, with ``title`` as its accessible name. Cached by the DOT source and title.
    Raises GraphUnavailable when ``dot`` is missing, fails or times out."""
    source = graph if isinstance(graph, str) else graph.source
    key = hashlib.sha256(f"{title}\0{source}".encode()).hexdigest()
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    svg = _inlinable(_run_dot(source), title=title)
    with _drawn_lock:
        _drawn[key] = svg
        while len(_drawn) > CACHE_ENTRIES:
            _drawn.popitem(last=False)
    return svg


def svg_cache_clear() -> None:
    with _drawn_lock:
        _drawn.clear()


def svg_document(svg: str) -> str:
    """An inlinable SVG from ``svg_render`` as a file of its own (the downloads)."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


def chart_context(
    *, graph: Any, title: str, outline: list[str], download_url: str = ""
) -> dict[str, Any]:
    """What ``templates/flowcharts/_chart.html`` renders: the inlinable SVG, or the reason
    it could not be drawn (the outline is then shown open, as the text fallback)."""
    try:
        svg, problem = svg_render(graph, title=title), ""
    except GraphUnavailable as error:
        svg, problem = "", error.detail
    return {
        "svg": svg,
        "problem": problem,
        "title": title,
        "outline": outline,
        "download_url": download_url,
    }


def svg_response(svg_of: Any, *, filename: str) -> HttpResponse:
    """``svg_of()`` (an ``svg_render``) as an SVG file to download, or a plain-text 503
    saying why it cannot be drawn."""
    try:
        svg = svg_of()
    except GraphUnavailable as error:
        return HttpResponse(
            error.detail, status=error.status_code, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(svg_document(svg), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
