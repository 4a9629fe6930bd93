"""Hostile content for the dashboard's escaping tests: what a customer (signed WhatsApp webhooks)
or a service (ElevenLabs' post-call webhook, Twilio's status callbacks) can put in front of an
operator — attribute breakouts, `<script>`, `<img onerror>`, `javascript:` links — built
through the real webhooks; and the checks that read a served page the way a browser would."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from channels.elevenlabs import sign_elevenlabs
from tests.channels.conftest import inbound_form, twilio_signature, wait_until
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.test_elevenlabs import jobs_done, post_call_payload

WEBHOOK_SECRET = "wsec_hostile_tests_not_a_secret"
CHAT_PHONE, CALL_PHONE = "+573001112233", "+573004445566"

# The issue's payload: harmless in a quoted attribute, a breakout once JSON's own `"` ends one
# (`tojson` leaves `"` unescaped).
BARE_BREAKOUT = "x tabindex=1 autofocus onfocus=alert(document.domain) y"
QUOTED_BREAKOUT = '" autofocus onfocus="alert(document.domain)" x="'
SINGLE_BREAKOUT = "' autofocus onfocus='alert(document.domain)' x='"
MARKUP = "<script>alert(document.domain)</script><img src=x onerror=alert(document.domain)>"
JAVASCRIPT_URL = "javascript:alert(document.domain)//"
HTTPS_MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME"

CHAT_NAME = f"Ana{QUOTED_BREAKOUT}{MARKUP}"
CALL_NAME = f"Beto{SINGLE_BREAKOUT}{MARKUP}"
RECALL = f"Quiero saber de la garantía {BARE_BREAKOUT}"  # → recall_conversations(query=…)
COMPLAINT = f"Tengo una queja: el inversor no funciona {MARKUP}"  # → a next action with it
ANGER = f"Estoy furioso, esto es una estafa {QUOTED_BREAKOUT}"  # → an escalation's reason
ERROR_CODE = f"6{QUOTED_BREAKOUT}<img src=x onerror=alert(1)>"


@pytest.fixture
def twilio_settings(twilio_settings: Any) -> Any:
    """The channel settings with a post-call webhook secret (the call arrives signed)."""
    return twilio_settings.model_copy(
        update={"elevenlabs_webhook_secret": SecretStr(WEBHOOK_SECRET)}
    )


def hostile_call() -> dict[str, Any]:
    """A post-call webhook whose customer name, summary and turns are all markup."""
    payload = post_call_payload("conv_hostile", CALL_PHONE)
    data = payload["data"]
    data["conversation_initiation_client_data"]["dynamic_variables"]["customer_name"] = CALL_NAME
    data["analysis"]["transcript_summary"] = f"Resumen {QUOTED_BREAKOUT}{MARKUP}"
    turns = data["transcript"]
    turns[1]["message"] = f"Hola, sí. Quiero paneles {SINGLE_BREAKOUT}{MARKUP}"
    turns[4]["message"] = f"Perfecto, te envío la cotización el jueves {QUOTED_BREAKOUT}."
    turns[5]["message"] = f"¿La instalación incluye el inversor {MARKUP}?"
    return payload


async def post_whatsapp(http: httpx.AsyncClient, sid: str, body: str, **extra: str) -> None:
    form = inbound_form(sid, body, CHAT_PHONE, **{"ProfileName": CHAT_NAME, **extra})
    await _post_signed(http, "/webhooks/twilio/whatsapp", form)


async def _post_signed(http: httpx.AsyncClient, path: str, form: dict[str, str]) -> None:
    url = str(http.base_url).rstrip("/") + path
    response = await http.post(
        path, data=form, headers={"X-Twilio-Signature": twilio_signature(url, form)}
    )
    assert response.status_code in (200, 204), (path, response.status_code, response.text)


async def post_hostile_thread(
    http: httpx.AsyncClient, fake_twilio: FakeTwilio, db_url: str
) -> None:
    """Everything a customer and the services control, sent through the signed webhooks: a
    WhatsApp customer (name, texts, media links, tool arguments, a complaint's next action, an
    angry message's escalation, a delivery error) and a called customer (name, turns, summary,
    pending questions and promises read from the call)."""
    await post_whatsapp(
        http,
        "SM" + "1" * 32,
        RECALL,
        NumMedia="2",
        MediaUrl0=JAVASCRIPT_URL,
        MediaContentType0=f"image/png{QUOTED_BREAKOUT}",
        MediaUrl1=HTTPS_MEDIA,
        MediaContentType1="audio/ogg",
    )
    await wait_until(lambda: _sent(fake_twilio, 1))
    status = {
        "MessageSid": fake_twilio.resources[0]["sid"],
        "MessageStatus": "undelivered",
        "ErrorCode": ERROR_CODE,
        "ErrorMessage": MARKUP,
        "AccountSid": "AC" + "0" * 32,
    }
    await _post_signed(http, "/webhooks/twilio/status", status)
    await post_whatsapp(http, "SM" + "2" * 32, COMPLAINT)
    await wait_until(lambda: _sent(fake_twilio, 2))
    await post_whatsapp(http, "SM" + "3" * 32, ANGER)
    raw = json.dumps(hostile_call()).encode()
    response = await http.post(
        "/webhooks/elevenlabs/post-call",
        content=raw,
        headers={
            "ElevenLabs-Signature": sign_elevenlabs(raw, WEBHOOK_SECRET),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.text
    await wait_until(lambda: jobs_done(db_url), timeout=60)
    await wait_until(lambda: _escalated(db_url))


async def _sent(fake: FakeTwilio, n: int) -> bool:
    return len(fake.resources) >= n


async def _escalated(db_url: str) -> bool:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM escalations").fetchone()[0] >= 1  # type: ignore[index]


def customer_pages(db_url: str) -> dict[str, str]:
    """The page of each hostile customer: {"chat": "/customers/…", "call": "/customers/…"}."""
    with psycopg.connect(db_url) as conn:
        rows = dict(conn.execute("SELECT phone, id FROM customers").fetchall())
    return {"chat": f"/customers/{rows[CHAT_PHONE]}", "call": f"/customers/{rows[CALL_PHONE]}"}


# Reading a served page ---------------------------------------------------------------------


# What the templates write; anything else in a page came from data.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TAGS = _words(
    "html head meta title link body header nav a form input span button main div h1 h2 select"
    " option p ul li time br section textarea aside b dl dt dd label script footer"
)
ATTRIBUTES = _words(
    "lang charset name content rel href class method action type value id title aria-current"
    " aria-label placeholder selected src defer rows maxlength required autocomplete autofocus"
    " role target datetime checked"
)
STATIC_SCRIPTS = {"/static/live.js"}


class PageAudit(HTMLParser):
    """Everything in a page that a browser would run or that the templates never write:
    unknown tags and attributes (a breakout shows up as one), `on*` handlers, `autofocus`
    outside the sign-in email, inline or foreign scripts, inline styles, non-https links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in TAGS:
            self.findings.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"handler {name}={value!r} on <{tag}>")
            elif name == "autofocus" and not (tag == "input" and values.get("name") == "email"):
                self.findings.append(f"autofocus on <{tag}> {attrs}")
            elif name not in ATTRIBUTES and not name.startswith("data-"):
                self.findings.append(f"attribute {name!r} on <{tag}>")
            elif name in ("href", "src", "action") and not _safe_url(value or ""):
                self.findings.append(f"{name}={value!r} on <{tag}>")
        if tag == "script":
            self._in_script = True
            if values.get("src") not in STATIC_SCRIPTS:
                self.findings.append(f"script {attrs}")
        if tag == "style" or "style" in values:
            self.findings.append(f"inline style on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.findings.append(f"inline script {data[:80]!r}")


def _safe_url(url: str) -> bool:
    """A path of this site or an https link (what the dashboard may link to)."""
    return (url.startswith("/") and not url.startswith("//")) or url.startswith("https://")


def audit(html: str) -> list[str]:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser.findings


def links(html: str) -> list[str]:
    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                found.append(dict(attrs).get("href") or "")

    Links().feed(html)
    return found


def header_problems(response: httpx.Response) -> list[str]:
    """What is missing from the security headers every response carries."""
    headers = response.headers
    policy = {
        part.split()[0]: part.split()[1:]
        for part in headers.get("content-security-policy", "").split(";")
        if part.strip()
    }
    wanted = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    problems = [f"CSP {k} is {policy.get(k)}" for k, v in wanted.items() if policy.get(k) != v]
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("x-frame-options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    if headers.get("referrer-policy") not in ("same-origin", "strict-origin-when-cross-origin"):
        problems.append("no Referrer-Policy")
    return problems
