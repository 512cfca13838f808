"""The Slack app: build_app(settings, deps) -> AsyncApp, served over HTTP or Socket Mode.

build_app runs once per process (never on a reconnect path): one AsyncApp around
the one AsyncWebClient of deps.api, every listener registered. SlackInbound is the
`sotp serve` component that serves it:
- HTTP mode: POST /slack/events and GET /healthz, on an aiohttp server at host:port.
  The signature is checked on the raw body before anything reads it (a bad one or
  a stale timestamp: 401); a signed body that is not a request Slack sends (bad
  JSON, an event_callback with no event, a block_actions with no actions, a
  command longer than a message) is refused with 400 and one warning line.
- Socket Mode: AsyncSocketModeHandler with the app-level token; a watchdog checks
  `await client.is_connected()` on a timer and replaces a dead connection, so the
  process never goes silent.
DMs, mentions and /sotp are stored in the inbound ledger (inbound.py) before their
ack; what a dead process left pending is worked at start-up and every few seconds.
On stop it stops taking requests first, then waits for the turns already acked.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Callable, Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot.channels.slack.api import quiet_logger
from bot.channels.slack.blocks import MAX_MESSAGE_TEXT
from bot.channels.slack.config import SlackSettings
from bot.channels.slack.inbound import Inbound
from bot.channels.slack.listeners import register_listeners
from bot.spawned import settle_heap

log = logging.getLogger("sotp.slack.app")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
STALE_SECONDS = 5 * 60        # Slack's own rule: a request older than five minutes may be a replay
DRAIN_SECONDS = 10.0
CONNECT_TIMEOUT = 30.0


def build_app(settings: SlackSettings, deps: Any, inbound: Inbound) -> AsyncApp:
    app = AsyncApp(client=deps.api.client, signing_secret=settings.signing_secret or None,
                   logger=quiet_logger("sotp.slack.bolt"),
                   # HTTP mode: web_app() verifies the signature on the raw bytes before Bolt sees
                   # the request; Bolt checking it again cost every event a second HMAC and parse.
                   request_verification_enabled=False)
    register_listeners(app, deps, inbound)

    @app.error
    async def on_error(error: Exception, body: dict) -> None:
        log.error("listener failed (%s): %s: %s", body.get("type") or body.get("command") or "?",
                  type(error).__name__, error)

    return app


def signature_ok(secret: str, raw: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's v0 signature over the raw bytes, and a timestamp within five minutes of now.

    Over bytes, not text, so that a body that is not UTF-8 is refused rather than raising.
    """
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > STALE_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:%d:" % stamp + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def malformed(body: Any) -> str | None:
    """Why a parsed, signed body is not a request Slack sends; None when it is one the app can handle."""
    if not isinstance(body, Mapping):
        return "not an object"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            return "an event_callback without an event"
    elif kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, Mapping) and isinstance(a.get("action_id"), str) for a in actions):
            return "a block_actions without actions"
        if not isinstance(body.get("user"), Mapping) or not body["user"].get("id"):
            return "a block_actions without a user"
    elif "command" in body:
        if not body.get("user_id"):
            return "a command without a user"
        if len(str(body.get("text") or "")) > MAX_MESSAGE_TEXT:
            return f"a command longer than {MAX_MESSAGE_TEXT:,} characters"
    return None


def web_app(app: AsyncApp, health: Callable[[], dict[str, Any]], signing_secret: str | None = None
            ) -> web.Application:
    """POST /slack/events for Bolt, GET /healthz for the service's health."""
    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        if signing_secret and not signature_ok(signing_secret, raw, request.headers.get("X-Slack-Request-Timestamp", ""),
                                               request.headers.get("X-Slack-Signature", ""), time.time()):
            log.warning("slack request refused (401): bad signature or stale timestamp, %d bytes", len(raw))
            return web.Response(status=401, text="invalid request")
        try:
            text = raw.decode("utf-8")
            reason = malformed(parse_body(text, request.content_type))
        except (UnicodeDecodeError, ValueError) as exc:       # json.JSONDecodeError is a ValueError
            reason = f"cannot be parsed ({type(exc).__name__})"
        if reason is not None:
            log.warning("slack request refused (400): %s, %d bytes", reason, len(raw))
            return web.Response(status=400, text="malformed request")
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                        headers=request.headers)  # type: ignore[arg-type]
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        report = health()
        return web.json_response(report, status=200 if report.get("ok") else 503,
                                 dumps=lambda v: json.dumps(v, default=str))

    server = web.Application(client_max_size=1024 * 1024)
    server.add_routes([web.post(EVENTS_PATH, events), web.get(HEALTH_PATH, healthz)])
    return server


class SlackInbound:
    """The component that receives Slack's requests (HTTP or Socket Mode)."""

    name = "slack"

    def __init__(self, deps: Any, health: Callable[[], dict[str, Any]] | None = None) -> None:
        self.deps = deps
        self.settings: SlackSettings = deps.slack
        self.inbound = Inbound(deps)
        self.app = build_app(self.settings, deps, self.inbound)
        self.extra_health = health
        self.state = "starting"
        self.port: int | None = None
        self.reconnects = 0
        self.ready = asyncio.Event()
        self.handler: Any = None

    # -- health ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.settings.mode, "listening": self.state, "events": self.deps.handled,
                               "in_flight": len(self.deps.in_flight), "api_calls": self.deps.api.calls,
                               "identity_lookups": self.deps.directory.lookups, **self.inbound.health(),
                               **self.deps.api.bucket.health()}
        if self.deps.turns is not None:
            out.update(self.deps.turns.health())
        if self.port is not None:
            out["port"] = self.port
        if self.settings.mode == "socket":
            out["reconnects"] = self.reconnects
        return out

    def _http_health(self) -> dict[str, Any]:
        report = {"ok": self.state in ("listening", "connected"), "slack": self.health()}
        if self.extra_health is not None:
            report.update(self.extra_health())
        return report

    # -- run ------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.deps.api.ensure_session()
        log.info("slack app starting: %s", self.settings.described())
        resuming: asyncio.Task[None] | None = None
        try:
            if self.deps.turns is not None:
                await self.deps.turns.start()
            try:
                await self.deps.directory.load()
            except Exception:       # the cache then fills message by message, as it did before
                log.warning("slack directory not loaded at start", exc_info=True)
            # What a process before this one stored and did not finish, before a new event can come in.
            await self.inbound.adopt_legacy()
            await self.inbound.resume(time.time())
            resuming = asyncio.ensure_future(self.inbound.run(stop, first=False))
            settle_heap()       # the knowledge, Bolt and the directory are loaded: no collection walks them again
            if self.settings.mode == "socket":
                await self._socket(stop)
            else:
                await self._http(stop)
        finally:
            self.state = "stopped"
            self.ready.clear()
            if resuming is not None:
                resuming.cancel()
            await self.deps.drain(DRAIN_SECONDS)
            await self.inbound.flush()
            self.inbound.close(final=stop.is_set())
            if self.deps.turns is not None:
                await self.deps.turns.aclose()
            if stop.is_set():
                await self.deps.api.aclose()

    async def _http(self, stop: asyncio.Event) -> None:
        runner = web.AppRunner(web_app(self.app, self._http_health, self.settings.signing_secret),
                               access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port)
        try:
            await site.start()
            sockets = getattr(site._server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
            self.state = "listening"
            self.ready.set()
            log.info("slack HTTP mode listening on %s:%s%s", self.settings.host, self.port, EVENTS_PATH)
            await stop.wait()
        finally:
            await runner.cleanup()

    async def _socket(self, stop: asyncio.Event) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self.handler = AsyncSocketModeHandler(self.app, self.settings.app_token, web_client=self.deps.api.client)
        client = self.handler.client
        try:
            await asyncio.wait_for(self.handler.connect_async(), CONNECT_TIMEOUT)
            self.state = "connected"
            self.ready.set()
            log.info("slack Socket Mode connected")
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.watchdog_seconds)
                    break
                except asyncio.TimeoutError:
                    pass
                if await client.is_connected():
                    self.state = "connected"
                    continue
                self.state = "reconnecting"
                self.reconnects += 1
                log.warning("slack Socket Mode connection is dead: replacing it (reconnect %d)", self.reconnects)
                try:
                    await asyncio.wait_for(client.connect_to_new_endpoint(force=True), CONNECT_TIMEOUT)
                except Exception as exc:   # keep watching: the next tick tries again
                    log.error("slack Socket Mode reconnect failed: %s: %s", type(exc).__name__, exc)
                    continue
                if await client.is_connected():
                    self.state = "connected"
                    log.info("slack Socket Mode connection replaced")
        finally:
            await self.handler.close_async()
