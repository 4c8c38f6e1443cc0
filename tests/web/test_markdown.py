"""Readmes are shown as HTML that can run nothing, whatever their author wrote."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from pixlake.web.markdown import ALLOWED_TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '[x](https://ok.example "title" onclick="alert(1)")',
    "<<script>script>alert(1)<</script>/script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class _Elements(HTMLParser):
    """Every element of a document, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_a_readme_holds_can_run(text: str) -> None:
    parser = _Elements()
    parser.feed(render_markdown(text))
    for tag, attributes in parser.found:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attributes.items():
            assert not name.startswith("on") and name != "style", name
            if name in ("href", "src"):
                assert urlsplit(value or "").scheme in ("http", "https", "mailto", ""), value


def test_what_markdown_means_is_kept() -> None:
    html = render_markdown(
        "# Title\n\nSome *words* and `code`, a [link](https://example.com/a?b=1).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n"
    )
    assert "<h1>Title</h1>" in html and "<em>words</em>" in html and "<code>code</code>" in html
    assert (
        'href="https://example.com/a?b=1"' in html and 'rel="noopener noreferrer nofollow"' in html
    )
    assert "<table>" in html and "<td>2</td>" in html
    assert '<code class="language-python">print(1)' in html


def test_html_in_a_readme_is_shown_as_text() -> None:
    assert render_markdown("a <b>bold</b> claim") == "<p>a &lt;b&gt;bold&lt;/b&gt; claim</p>\n"
