"""Malformed requests to POST /slack/events: 401 unless signed, 400 with one warning line if signed, never a 500."""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlencode

import pytest

from bot.channels.slack.localslack import SECRET, command_body, event_body, signed

FORM = "application/x-www-form-urlencoded"
DM = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
      "text": "when is the election deadline?", "ts": "1067860800.000901"}


def _event_null() -> str:
    body = json.loads(event_body(DM))
    body["event"] = None
    return json.dumps(body)


def _actions_missing() -> str:
    payload = {"type": "block_actions", "user": {"id": "U0ALICE"}, "team": {"id": "T0SOTP"}, "token": "legacy"}
    return urlencode({"payload": json.dumps(payload)})


MALFORMED = {
    "bad JSON": ("{not json", "application/json"),
    "JSON that is not an object": ("[1, 2, 3]", "application/json"),
    "an event_callback whose event is null": (_event_null(), "application/json"),
    "an event_callback with no event": (json.dumps({"type": "event_callback", "event_id": "Ev9"}),
                                        "application/json"),
    "a payload that is not JSON": ("payload=%7Bnot-json", FORM),
    "a block_actions without actions": (_actions_missing(), FORM),
    "a block_actions whose actions are not a list": (
        urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": "x"})}),
        FORM),
    "a command of 50,000 characters": (
        command_body("x" * 50_000, user="U0ALICE", channel="C0GENERAL", response_url="http://127.0.0.1:9/r",
                     trigger="trig-huge"), FORM),
    "a body that is not UTF-8": ("\udcff", "application/json"),
}


def _encoded(body: str) -> bytes:
    return body.encode("utf-8", "surrogateescape")


async def _post(app, raw: bytes, headers: dict[str, str]) -> int:
    async with app.http.post(f"{app.url}/slack/events", data=raw, headers=headers) as r:
        return r.status


def _signed_bytes(raw: bytes, content_type: str) -> dict[str, str]:
    """Signed as Slack signs (over the bytes, so a body that is not UTF-8 is signed too)."""
    headers = signed("", content_type=content_type)
    base = f"v0:{headers['X-Slack-Request-Timestamp']}:".encode() + raw
    headers["X-Slack-Signature"] = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return headers


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_a_signed_malformed_body_is_refused_with_400_and_one_warning_line(app, caplog, name):
    body, content_type = MALFORMED[name]
    raw = _encoded(body)
    with caplog.at_level(logging.INFO):
        status = await _post(app, raw, _signed_bytes(raw, content_type))
        await app.settle()
    assert status == 400
    refusals = [r for r in caplog.records if "refused (400)" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelname == "WARNING"
    assert "\n" not in refusals[0].getMessage()
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    assert app.slack.of("chat.postMessage") == [] and app.slack.of("chat.postEphemeral") == []


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_an_unsigned_malformed_body_is_refused_with_401_before_it_is_read(app, caplog, name):
    body, content_type = MALFORMED[name]
    with caplog.at_level(logging.INFO):
        status = await _post(app, _encoded(body), {"Content-Type": content_type})
    assert status == 401
    assert [r.levelname for r in caplog.records if "refused" in r.getMessage()] == ["WARNING"]
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


async def test_a_badly_signed_malformed_body_is_refused_with_401(app, caplog):
    body = "{garbage"
    with caplog.at_level(logging.INFO):
        status, _ = await app.post(body, signed(body, secret="not-the-secret"))
    assert status == 401
    assert "Traceback" not in caplog.text


async def test_after_malformed_requests_the_app_still_answers_a_dm(app):
    for body, content_type in MALFORMED.values():
        raw = _encoded(body)
        assert await _post(app, raw, _signed_bytes(raw, content_type)) == 400
    await app.dm("when is the election deadline?")
    calls = await app.slack.wait_for("chat.postMessage")
    assert [c.params["channel"] for c in calls] == ["D0ALICE"]
