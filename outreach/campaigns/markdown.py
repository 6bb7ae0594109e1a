"""Campaign text in Markdown → safe HTML: markdown-it-py with raw HTML off, then nh3 with an allow-list.

Two layers, so a mistake in one is caught by the other: Markdown never passes HTML through (it is
shown as text), and nh3 keeps only the tags and attributes listed here. Links whose scheme is not
http, https, mailto or tel are dropped, after undoing the tricks that hide a scheme from a naive
check (entities, percent-encoding, tabs or newlines inside "javascript:"). Images are not allowed in
the body: a campaign has one image, uploaded and re-encoded by us; a Markdown image would load from
another host.
"""
from __future__ import annotations

import html
import re
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
                          "code", "pre", "hr"})
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
EXTERNAL_REL = "noopener noreferrer"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# Everything a browser ignores inside a URL's scheme: ASCII whitespace and control characters.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f\u00a0\u2000-\u200f\u2028\u2029\ufeff]+")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")  # ![alt](url) stays text: see the module docstring
    return md


_MD = _parser()


def link_scheme(href: str) -> str | None:
    """The scheme a browser would see in ``href`` (lower case), or None for a relative link."""
    value = href
    for _ in range(3):  # "&amp;#x6a;" and "%256a" need more than one round
        value = unquote(html.unescape(value))
    value = _IGNORED_IN_SCHEME.sub("", value).lower()
    match = _SCHEME.match(value)
    return match.group(1) if match else None


def is_safe_link(href: str) -> bool:
    scheme = link_scheme(href)
    return scheme is None or scheme in ALLOWED_SCHEMES


def is_external(href: str) -> bool:
    value = href.strip()
    if value.startswith("//"):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _rewrite_tokens(tokens) -> None:
    """Headings start at <h2> (the page has the <h1>); external links get rel="noopener noreferrer"."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(max(int(token.tag[1]), 2), 4)  # "#" and "##" are both a section: <h2>
            token.tag = f"h{level}"
        if token.children:
            for child in token.children:
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    if not is_safe_link(href):
                        child.attrSet("href", "")
                    elif is_external(href):
                        child.attrSet("rel", EXTERNAL_REL)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value and is_safe_link(value) else None
    return value


def render(text: str | None) -> Markup:
    """Sanitized HTML for a campaign body written in Markdown."""
    if not text:
        return Markup("")
    env: dict = {}
    tokens = _MD.parse(text, env)
    _rewrite_tokens(tokens)
    raw = _MD.renderer.render(tokens, _MD.options, env)
    clean = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href", "title"}},
        tag_attribute_values={"a": {"rel": {EXTERNAL_REL}}},
        attribute_filter=_attribute_filter,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 (sanitized just above)
