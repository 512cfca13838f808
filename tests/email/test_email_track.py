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
