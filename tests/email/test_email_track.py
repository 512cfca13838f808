"""An email reply "track on" / "track off" turns the daily Averaging Period update on or off."""

from __future__ import annotations

import asyncio

from email_world import ALICE, STRANGER, question, send, settle

from bot.preferences import Preferences


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


async def ask(gateway, relay, message) -> list:
    before = len(relay.received)
    await send(gateway, message)
    await settle(gateway)
    await asyncio.sleep(0.05)
    return relay.received[before:]


async def test_a_reply_track_on_turns_the_update_on_by_email(gateway, relay):
    [reply] = await ask(gateway, relay, question("track on\n\nAlice", subject="Re: Averaging Period",
                                                  message_id="<t1@example.com>"))
    assert reply.rcpt_tos == [ALICE]
    assert body(reply).startswith("Daily Averaging Period updates are on: after each closing price of the "
                                  "Averaging Period is in, you get one message with the close, the running "
                                  "average and the days remaining (by email to the address on your record).")
    prefs = Preferences(gateway.connections.db())
    assert (prefs.get("E1", "tracking"), prefs.get("E1", "tracking_slack")) == (True, False)


async def test_a_reply_track_off_turns_it_off(gateway, relay):
    await ask(gateway, relay, question("track on", message_id="<t2@example.com>"))
    [reply] = await ask(gateway, relay, question("Track off", message_id="<t3@example.com>"))
    assert body(reply).startswith("Daily Averaging Period updates are off.")
    assert Preferences(gateway.connections.db()).get("E1", "tracking") is False


async def test_track_on_from_an_address_on_no_record_stores_nothing(gateway, relay):
    [reply] = await ask(gateway, relay, question("track on", sender=STRANGER, message_id="<t4@example.com>"))
    assert body(reply).startswith("I can't match you to an employee record")
    assert Preferences(gateway.connections.db()).opted("tracking", True) == set()


async def test_after_a_close_the_employee_who_asked_gets_one_update_email(gateway, relay, clock):
    from datetime import datetime

    from email_world import START

    from bot import tracking
    from bot.calc.calendar import NEW_YORK
    from bot.reminders import tracking as updates

    await ask(gateway, relay, question("track on", message_id="<t5@example.com>"))
    db = gateway.connections.db()
    # The configured calendar starts on 2003-11-17, the latest start the Notice allows.
    clock.offset = datetime(2003, 11, 17, 18, 0, tzinfo=NEW_YORK) - START
    tracking.replace_closes(db, [("2003-11-17", "25.10")], clock())
    before = len(relay.received)
    settings = gateway.conversation.settings
    assert updates.plan(db, settings, clock()).enqueued == 1
    assert updates.plan(db, settings, clock()).enqueued == 0
    await settle(gateway)
    [update] = relay.received[before:]
    assert update.rcpt_tos == [ALICE]
    assert " ".join(update.message["Subject"].split()) == "Stock Option Transfer Program: Averaging Period close of November 17, 2003"
    assert "The closing price on Monday, November 17, 2003: $25.10." in body(update)
