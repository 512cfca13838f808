"""A local Slack for tests and `sotp bench slack`: the Web API, response_url and Socket Mode on 127.0.0.1.

It answers what the app calls (auth.test, users.info, chat.postMessage,
chat.postEphemeral, chat.update, views.publish, apps.connections.open,
conversations.open, and files_upload_v2's files.getUploadURLExternal, upload URL and
files.completeUploadExternal, keeping each file's bytes) and the response_url posts of commands, and can be told to answer a method with a 429 and a
Retry-After, or with ok:false and an error. Requests to the app are signed exactly as
Slack signs them (v0 HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0SOTP"
SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)      # when it arrived (for `sotp bench slack`)

    def blocks_text(self) -> str:
        """Every text in the call's blocks, joined: what a person would read."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    out.append(node["text"])
                for value in node.values():
                    if isinstance(value, (dict, list)):
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or [])
        return "\n".join(out)

    def buttons(self) -> list[str]:
        labels = []
        for block in self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or []:
            if block.get("type") == "actions":
                labels += [e["text"]["text"] for e in block["elements"] if e.get("type") == "button"]
        return labels

    def button(self, label: str) -> dict[str, Any]:
        for block in self.params.get("blocks") or []:
            if block.get("type") == "actions":
                for e in block["elements"]:
                    if e.get("type") == "button" and e["text"]["text"] == label:
                        return e
        raise AssertionError(f"no button {label!r} in {self.buttons()}")


@dataclass
class LocalSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    answers: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    port: int = 0
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    connections_opened: int = 0
    uploads: dict[str, bytes] = field(default_factory=dict)        # file id -> the bytes posted to its URL
    shared_files: dict[str, str] = field(default_factory=dict)     # file id -> the channel it was shared in
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event | None = None
    counts: Counter = field(default_factory=Counter)                # method -> calls so far

    def _add(self, call: Call) -> None:
        self.calls.append(call)
        self.counts[call.method] += 1
        if self._changed is not None:
            self._changed.set()

    # -- control ---------------------------------------------------------------------------------

    def answer_next(self, method: str, *, status: int = 200, error: str | None = None,
                    retry_after: int | None = None) -> None:
        """The next call of method gets this answer instead of the normal one."""
        self.answers[method].append((status, error, retry_after))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _count(self, method: str) -> int:
        if sum(self.counts.values()) != len(self.calls):     # a test cleared or edited the list
            self.counts = Counter(c.method for c in self.calls)
        return self.counts[method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        if self._changed is None:
            self._changed = asyncio.Event()
        # Woken by each call rather than scanning every call so far every 10 ms: `sotp bench slack`
        # shares the machine with the app it measures.
        while self._count(method) < count:
            if time.monotonic() > deadline:
                # Calls counted per method: a long run's full list would bury the message.
                made = Counter(c.method for c in self.calls)
                raise AssertionError(f"{method}: {len(self.of(method))} calls after {timeout} s, expected {count}; "
                                     f"calls: {dict(made) if len(self.calls) > 50 else [c.method for c in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), max(0.001, min(0.5, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                pass
        return self.of(method)

    # -- server ----------------------------------------------------------------------------------

    def _ts_next(self) -> str:
        return f"1067860800.{next(self._ts):06d}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        self._add(Call(method, params))
        if self.answers[method]:
            status, error, retry_after = self.answers[method].popleft()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": error or "ratelimited"}, status=status,
                                     headers=headers)
        return web.json_response(self._normal(method, params))

    def _normal(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "sotp",
                    "url": "https://sotp.slack.example/"}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], "tz": user.get("tz"),
                                         "profile": {k: v for k, v in user.items() if k == "email"}}}
        if method == "chat.postMessage":
            channel = str(params.get("channel"))
            if channel[:1] in ("U", "W"):
                channel = "D" + channel[1:]
            return {"ok": True, "channel": channel, "ts": self._ts_next()}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._ts_next()}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", **(params.get("view") or {})}}
        if method == "conversations.open":
            users = str(params.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users[1:]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + len(self.shared_files) + 1:06d}"
            self.uploads.setdefault(file_id, b"")
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files") or "[]")
            for f in files:
                if f["id"] not in self.uploads or not self.uploads[f["id"]]:
                    return {"ok": False, "error": "file_not_found"}
                self.shared_files[f["id"]] = str(params.get("channel_id") or "")
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title"), "name": f.get("title")}
                                          for f in files]}
        if method == "apps.connections.open":
            self.connections_opened += 1
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        self._add(Call("response_url", {"id": request.match_info["id"], **(await request.json())}))
        if self.answers["response_url"]:
            status, _, _ = self.answers["response_url"].popleft()
            return web.Response(status=status, text="expired_url")
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        data = await request.read()
        self._add(Call("upload", {"id": file_id, "length": len(data)}))
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "local", "approximate_connection_time": 18060}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return ws

    async def start(self) -> "LocalSlack":
        server = web.Application()
        server.add_routes([web.route("*", "/api/{method}", self._api),
                           web.post("/response/{id}", self._respond),
                           web.post("/upload/{id}", self._upload),
                           web.get("/link", self._link)])
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None,
           content_type: str = "application/json", **extra: str) -> dict[str, str]:
    """The headers Slack sends with a request: its timestamp and v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body), **extra}


def event_body(event: dict[str, Any], *, event_id: str = "Ev0001") -> str:
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A0SOTP", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})


def command_body(text: str, *, user: str, channel: str, response_url: str, trigger: str) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM, "channel_id": channel, "channel_name": "x",
                      "user_id": user, "user_name": user.lower(), "command": "/sotp", "text": text,
                      "api_app_id": "A0SOTP", "response_url": response_url, "trigger_id": trigger})


def action_body(*, user: str, channel: str, action_id: str, value: str, message_ts: str = "1067860800.000001",
                thread_ts: str | None = None, response_url: str = "", action_ts: str = "1067860900.000001",
                ephemeral: bool = False) -> str:
    message = {"type": "message", "ts": message_ts, "user": BOT_USER, "bot_id": BOT_ID}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user},
               "api_app_id": "A0SOTP", "token": "legacy", "trigger_id": f"trig-{action_ts}",
               "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                             "is_ephemeral": ephemeral, **({"thread_ts": thread_ts} if thread_ts else {})},
               "channel": {"id": channel}, "response_url": response_url,
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                            "action_ts": action_ts}]}
    if not ephemeral:
        payload["message"] = message
    return urlencode({"payload": json.dumps(payload)})
