"""app.manifest.yaml declares exactly what the code registers and calls: every event, command and scope.

The code's use is read from its source (the string literals given to app.event,
app.command and SlackApi.call), so a listener or a Web API call added without the
manifest entry, or a manifest entry nothing uses, fails here.
"""

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bot" / "channels" / "slack"
MANIFEST = yaml.safe_load((ROOT / "app.manifest.yaml").read_text())

# Slack's documented scope for each thing the code uses (api.slack.com/methods, /events).
METHOD_SCOPES = {
    "chat.postMessage": {"chat:write"}, "chat.postEphemeral": {"chat:write"}, "chat.update": {"chat:write"},
    "users.info": {"users:read", "users:read.email"},     # the directory reads the profile email
    "views.publish": set(),
    "conversations.open": {"im:write"},                   # the DM a chart is uploaded to, when not known yet
    "files_upload_v2": {"files:write"},                   # SlackApi.upload: the estimate's chart to the DM
}
# Bolt's "message" listener serves DMs (message.im) and the staff channel's ticket threads (message.channels).
EVENT_SUBSCRIPTIONS = {"message": {"message.im", "message.channels"}, "app_mention": {"app_mention"},
                       "app_home_opened": {"app_home_opened"}}
EVENT_SCOPES = {"message.im": {"im:history"}, "message.channels": {"channels:history"},
                "app_mention": {"app_mentions:read"}, "app_home_opened": set()}


def _string_calls(attribute: str) -> set[str]:
    """First string arguments of every `<x>.<attribute>("...")` call in the package's source."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def _attribute_calls(attribute: str) -> set[str]:
    """{attribute} when any `<x>.<attribute>(...)` call is in the package's source (SDK methods by name)."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute:
                return {attribute}
    return set()


def _named_calls(attribute: str) -> list[ast.Call]:
    calls = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
                    and node.args and isinstance(node.args[0], ast.Name)):
                calls.append(node)
    return calls


def test_every_event_the_code_listens_to_is_subscribed_and_nothing_more():
    registered = _string_calls("event")
    assert registered == {"message", "app_mention", "app_home_opened"}
    wanted = set().union(*(EVENT_SUBSCRIPTIONS[e] for e in registered))
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == wanted


def test_the_slash_command_the_code_registers_is_the_one_declared():
    from bot.channels.slack.listeners.commands import COMMAND

    assert [c.args[0].id for c in _named_calls("command")] == ["COMMAND"]
    assert {c["command"] for c in MANIFEST["features"]["slash_commands"]} == {COMMAND} == {"/sotp"}


def test_the_bot_scopes_are_exactly_those_of_the_methods_called_events_and_commands():
    methods = _string_calls("call") | _attribute_calls("files_upload_v2")
    assert methods == set(METHOD_SCOPES)
    wanted = set().union(*(METHOD_SCOPES[m] for m in methods),
                         *(EVENT_SCOPES[e] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]),
                         {"commands"})
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == wanted


def test_the_home_tab_and_writable_messages_tab_socket_mode_and_interactivity_are_on():
    home = MANIFEST["features"]["app_home"]
    assert (home["home_tab_enabled"], home["messages_tab_enabled"], home["messages_tab_read_only_enabled"]) == (
        True, True, False)
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"]
