"""The templates and the dashboard's script, read as source: everything autoescaped, nothing
marked safe, no inline script, style or handler (the Content-Security-Policy forbids them), no
HTML built from strings in live.js; and the two filters that decide how data lands in a page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import jinja2
import pytest

from server.templating import STATIC_DIR, TEMPLATES_DIR, https_link, templates
from tests.dashboard.hostile import BARE_BREAKOUT, MARKUP, QUOTED_BREAKOUT

SOURCES = sorted(TEMPLATES_DIR.glob("*.html"))


def test_every_template_is_autoescaped_and_tojson_is_gone() -> None:
    assert templates.env.autoescape is True
    with pytest.raises(jinja2.TemplateAssertionError, match="tojson"):
        templates.env.from_string('<span title="{{ x | tojson }}"></span>')


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_template_marks_data_as_safe(path) -> None:
    source = path.read_text()
    assert not re.search(r"\|\s*safe\b|Markup|autoescape|\|\s*tojson", source), path.name


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_template_has_inline_script_style_or_handler(path) -> None:
    source = path.read_text()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", source)
    assert inline_scripts == [], path.name
    assert not re.search(r"<style|\sstyle=", source), path.name
    assert not re.search(r"\son[a-z]+\s*=", source), path.name


def test_live_js_never_builds_html_from_strings() -> None:
    source = (STATIC_DIR / "live.js").read_text()
    sinks = re.findall(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", source
    )
    assert sinks == []


@pytest.mark.parametrize(
    "args",
    [
        {"query": f"Quiero saber de la garantía {BARE_BREAKOUT}"},
        {"reason": QUOTED_BREAKOUT + MARKUP},
        {"description": "' onmouseover='alert(1)' & \u2028"},
    ],
)
def test_json_in_an_attribute_stays_one_attribute(args) -> None:
    html = templates.env.from_string('<span title="{{ args | json_text }}">x</span>').render(
        args=args
    )
    found: list[list[tuple[str, str | None]]] = []

    class Spans(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append(attrs)

    Spans().feed(html)
    assert [[name for name, _ in attrs] for attrs in found] == [["title"]]
    assert json.loads(found[0][0][1] or "") == args


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME",
        "https://media.example.com/a.ogg?x=1&y=2",
    ],
)
def test_https_urls_become_links(url: str) -> None:
    assert https_link(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "http://127.0.0.1:8080/media/1",
        "//evil.example/x",
        "/static/live.js",
        "https:evil.example",
        "https:///evil.example",
        "https://evil.example\\@api.twilio.com/",
        " https://api.twilio.com/x",
        "https://api.twilio.com/x\n",
        "HTTPS://api.twilio.com/x",
        "",
        None,
        42,
    ],
)
def test_anything_else_stays_text(url: object) -> None:
    assert https_link(url) is None
