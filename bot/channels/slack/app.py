"""The Slack app: build_app(settings, deps) -> AsyncApp, served over HTTP or Socket Mode.

build_app runs once per process (never on a reconnect path): one AsyncApp around
the one AsyncWebClient of deps.api, every listener registered. SlackInbound is the
`sotp serve` component that serves it:
- HTTP mode: POST /slack/events (Bolt verifies each signature and refuses stale
  timestamps with 401) and GET /healthz, on an aiohttp server at host:port.
- Socket Mode: AsyncSocketModeHandler with the app-level token; a watchdog checks
  `await client.is_connected()` on a timer and replaces a dead connection, so the
  process never goes silent.
On stop it stops taking requests first, then waits for the turns already acked.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.channels.slack.config import SlackSettings
from bot.channels.slack.listeners import register_listeners

log = logging.getLogger("sotp.slack.app")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DRAIN_SECONDS = 10.0
CONNECT_TIMEOUT = 30.0


def build_app(settings: SlackSettings, deps: Any) -> AsyncApp:
    app = AsyncApp(client=deps.api.client, signing_secret=settings.signing_secret or None,
                   logger=logging.getLogger("sotp.slack.bolt"),
                   request_verification_enabled=settings.mode == "http")
    register_listeners(app, deps)

    @app.error
    async def on_error(error: Exception, body: dict) -> None:
        log.error("listener failed (%s): %s: %s", body.get("type") or body.get("command") or "?",
                  type(error).__name__, error)

    return app


def web_app(app: AsyncApp, health: Callable[[], dict[str, Any]]) -> web.Application:
    """POST /slack/events for Bolt, GET /healthz for the service's health."""
    async def events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

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
        self.app = build_app(self.settings, deps)
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
                               "identity_lookups": self.deps.directory.lookups, **self.deps.api.bucket.health()}
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
        try:
            if self.settings.mode == "socket":
                await self._socket(stop)
            else:
                await self._http(stop)
        finally:
            self.state = "stopped"
            self.ready.clear()
            await self.deps.drain(DRAIN_SECONDS)
            if stop.is_set():
                await self.deps.api.aclose()

    async def _http(self, stop: asyncio.Event) -> None:
        runner = web.AppRunner(web_app(self.app, self._http_health), access_log=None, handle_signals=False)
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
