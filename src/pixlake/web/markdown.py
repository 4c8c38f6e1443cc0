"""Markdown that users wrote (a network's readme), made into HTML that can run nothing.

Two locks, each enough alone: ``markdown-it-py`` renders CommonMark with raw HTML off (a
``<script>`` in the text comes out as text) and refuses links to ``javascript:``, ``vbscript:``,
``file:`` and ``data:`` URLs; then ``nh3`` (the Rust ``ammonia`` sanitizer) keeps only the
tags, attributes and URL schemes listed here, so that what a renderer bug might let through
is dropped. Links get ``rel="noopener noreferrer nofollow"``. The pages' policy
(``Content-Security-Policy``) forbids inline scripts and other hosts' images as a third.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "render_markdown"]

ALLOWED_TAGS: Final = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
_ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
}
_SCHEMES: Final = frozenset({"http", "https", "mailto"})


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """``text`` as sanitized HTML (see the module's text)."""
    html = _renderer().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
