"""Runbook Markdown renders to safe HTML; sections and diffs (pure functions)."""

from html.parser import HTMLParser

from runbooks.models import REQUIRED_SECTIONS
from runbooks.rendering import missing_sections, render_markdown, sections, unified_diff
from tests.runbooks.factories import BODY

NASTY = """## Overview
<script>alert('x')</script>
<img src="x" onerror="alert(1)">
<a href="https://ok.example" onclick="steal()">ok</a>
[click me](javascript:alert(document.cookie))
[data](data:text/html;base64,PHNjcmlwdD4=)
![pic](javascript:alert(2))
<iframe src="https://evil.example"></iframe>
<div style="background:url(javascript:alert(1))">styled</div>
[fine](https://docs.example/runbook)

```bash
kubectl -n checkout get pods
```
"""


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def test_scripts_javascript_links_and_event_handlers_do_not_survive():
    html = render_markdown(NASTY)
    tags = parse(html)
    names = {tag for tag, _ in tags}
    assert names.isdisjoint({"script", "iframe", "div", "style"})
    for _tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), attrs
        assert "style" not in attrs
        for url_attr in ("href", "src"):
            value = (attrs.get(url_attr) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), attrs
    links = [attrs["href"] for tag, attrs in tags if tag == "a" and "href" in attrs]
    assert links == ["https://docs.example/runbook"]
    assert "<pre><code" in html and "kubectl -n checkout get pods" in html
    assert "<script" not in html


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("<b onclick=x>bold</b>")
    assert parse(html) == [("p", {})]
    assert "&lt;b onclick=x&gt;" in html


def test_sections_and_missing_sections():
    assert sections(BODY)[:3] == ["Overview", "Symptoms", "Detection"]
    assert missing_sections(BODY, REQUIRED_SECTIONS) == []
    assert missing_sections("## Overview\n```\n## Rollback\n```\n", ["Overview", "Rollback"]) == [
        "Rollback"
    ]


def test_unified_diff():
    diff = unified_diff("a\nb\n", "a\nc\n", old_label="v1", new_label="v2")
    assert diff.splitlines() == ["--- v1", "+++ v2", "@@ -1,2 +1,2 @@", " a", "-b", "+c"]
