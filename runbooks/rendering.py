"""Runbook text: Markdown to safe HTML, section parsing and version diffs.

Pure: no database, no Django. Markdown is rendered by markdown-it-py with raw HTML
disabled, then the HTML is sanitised by nh3 (an allow-list of tags, attributes and URL
schemes), so neither raw ``<script>``, ``javascript:`` links nor ``on*=`` attributes can
reach a page even if one layer had a bug.
"""

import difflib
import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)

ALLOWED_TAGS: set[str] = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES: set[str] = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def sections(text: str) -> list[str]:
    """Level-2 headings of a Markdown body, in order (fenced code blocks skipped)."""
    found: list[str] = []
    fenced = False
    for line in (text or "").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            match = _HEADING.match(line)
            if match:
                found.append(match.group(1).strip())
    return found


def _norm(title: str) -> str:
    return re.sub(r"[^a-z]", "", title.lower())


def missing_sections(text: str, required: Iterable[str]) -> list[str]:
    """Required sections without a heading that starts with their name (so "Triage
    steps" satisfies "Triage")."""
    present = [_norm(title) for title in sections(text)]
    return [name for name in required if not any(p.startswith(_norm(name)) for p in present)]


def unified_diff(old: str, new: str, *, old_label: str, new_label: str) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )
