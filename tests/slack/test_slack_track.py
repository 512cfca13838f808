"""/sotp track [on|off] through the conversation core, and the Averaging Period in App Home."""

from datetime import datetime, timezone

from bot import tracking
from bot.calc.calendar import NEW_YORK
from bot.preferences import Preferences


async def _answer(app, text, **kw):
    status, _ = await app.command(text, **kw)
    assert status == 200
    (call,) = await app.slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    return call


def _two_closes(app) -> None:
    """The configured calendar starts on 2003-11-17 (the latest start the Notice allows)."""
    tracking.replace_closes(app.db, [("2003-11-17", "25.00"), ("2003-11-18", "25.01")],
                            datetime(2003, 11, 18, 23, 0, tzinfo=timezone.utc))
    app.context.clock.now = datetime(2003, 11, 18, 18, 0, tzinfo=NEW_YORK)


async def test_track_on_turns_on_the_daily_update_as_a_direct_message(app):
    call = await _answer(app, "track on", channel="C0GENERAL")
    assert call.blocks_text().startswith("Daily Averaging Period updates are on: after each closing price")
    assert "as a direct message in Slack" in call.blocks_text()
    prefs = Preferences(app.db)
    assert (prefs.get("E1", "tracking"), prefs.get("E1", "tracking_slack")) == (True, True)


async def test_track_off_turns_it_off(app):
    await _answer(app, "track on")
    app.slack.calls.clear()
    call = await _answer(app, "track off")
    assert call.blocks_text().startswith("Daily Averaging Period updates are off.")
    assert Preferences(app.db).get("E1", "tracking") is False


async def test_track_with_another_word_shows_how_to_use_it(app):
    call = await _answer(app, "track sideways")
    assert call.blocks_text() == ("Use `/sotp track` to see where the Averaging Period stands, or `/sotp track on` "
                                  "/ `/sotp track off` for a message after each close.")
    assert Preferences(app.db).opted("tracking", True) == set()


async def test_track_shows_the_running_average_and_the_askers_own_total_only_to_them(app):
    _two_closes(app)
    call = await _answer(app, "track", channel="C0GENERAL")
    text = call.blocks_text()
    assert "Running average of the 2 closes so far (November 17, 2003 to November 18, 2003): $25.0050" in text
    assert "Your Total Payment at the running average of $25.0050: $2,201.50 (pre-tax, U.S. dollars)" in text
    assert app.slack.of("chat.postMessage") == []


async def test_app_home_shows_the_averaging_period_while_it_runs(app):
    _two_closes(app)
    status, _ = await app.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home",
                                 "event_ts": "1069196400.000001"})
    assert status == 200
    (call,) = await app.slack.wait_for("views.publish")
    blocks = call.params["view"]["blocks"]
    assert blocks[1] == {"type": "header", "text": {"type": "plain_text", "text": "Averaging Period"}}
    text = call.blocks_text()
    assert "Available Trading Days counted: 2 of 15; remaining: 13." in text
    assert "Your Total Payment at the running average of $25.0050: $2,201.50" in text


async def test_app_home_has_no_averaging_period_section_before_it_starts(app):
    status, _ = await app.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home",
                                 "event_ts": "1067860800.000001"})
    (call,) = await app.slack.wait_for("views.publish")
    assert "Averaging Period" not in [b.get("text", {}).get("text") for b in call.params["view"]["blocks"]]
