"""App Home: the employee's own Step 1-3, the calculator, status and countdown; why not; what it does."""

import json

from bot.channels.slack.blocks import HOME_PRICE


async def _home(app, user):
    status, _ = await app.event({"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}", "tab": "home",
                                 "event_ts": "1067860800.000001"})
    assert status == 200
    (call,) = await app.slack.wait_for("views.publish")
    assert call.params["user_id"] == user and call.params["view"]["type"] == "home"
    return call


async def test_an_eligible_employee_sees_eligible_options_the_table_and_the_schedule(app):
    call = await _home(app, "U0ALICE")
    text = call.blocks_text()
    assert "Step 1: Your Eligible Options" in text
    assert "2000-04-24  0001          NSO         $33.00" in text and "0003" not in text.split("Step 2")[0]
    assert "$23.00" in text and "$31.00" in text
    assert "At an assumed Average Closing Price of $27.00: Total Payment $2,800.00 (pre-tax)." in text
    assert "Step 3: Payment schedule at $27.00" in text and "December 2003" in text
    assert "There is no election on record for you." in text
    price_input = [b for b in call.params["view"]["blocks"] if b["type"] == "input"][0]
    assert price_input["element"]["action_id"] == HOME_PRICE and price_input["dispatch_action"] is True


async def test_the_deadline_countdown_is_in_the_employees_own_time_zone(app):
    text = (await _home(app, "U0DIEGO")).blocks_text()     # the clock: 2003-11-03 17:00 UTC
    assert ("Midnight New York City/Eastern Time (9:00 PM U.S. Pacific Time) on Wednesday, November 12, 2003: "
            "9 days 12 hours from now (Thursday, November 13, 2003 at 6:00 AM Europe/Madrid your time).") in text


async def test_a_new_price_recalculates_the_home_view(app):
    await _home(app, "U0ALICE")
    status, _ = await app.post(*_price_action("30"))
    assert status == 200
    call = (await app.slack.wait_for("views.publish", 2))[1]
    assert "At an assumed Average Closing Price of $30.00: Total Payment $3,700.00 (pre-tax)." in call.blocks_text()


async def test_a_price_above_40_keeps_the_view_and_says_why(app):
    await app.post(*_price_action("45"))
    (call,) = await app.slack.wait_for("views.publish")
    assert ("I can't show your figures: an assumed Average Closing Price of $45.00 is above $40.00, the highest "
            "price the Employee Election Tool's calculator models") in call.blocks_text()


async def test_an_employee_who_is_not_eligible_sees_why_and_how_to_ask(app):
    text = (await _home(app, "U0PAT")).blocks_text()
    assert "According to the records I have, you are not an Eligible Employee:" in text
    assert "/sotp human" in text and "Step 1" not in text and "$" not in text.split("Election Deadline")[0]


async def test_an_unknown_user_sees_what_the_assistant_does(app):
    text = (await _home(app, "U0NOBODY")).blocks_text()
    assert text.startswith("Stock Option Transfer Program\nI answer questions about the Stock Option Transfer Program")
    assert "Step 1" not in text


def _price_action(price):
    from urllib.parse import urlencode
    from bot.channels.slack.localslack import TEAM, signed

    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U0ALICE"}, "api_app_id": "A0SOTP",
               "token": "legacy", "trigger_id": "t", "container": {"type": "view", "view_id": "V1"},
               "view": {"id": "V1", "type": "home"},
               "actions": [{"type": "plain_text_input", "action_id": HOME_PRICE, "block_id": "home-price",
                            "value": price, "action_ts": "1067860900.000001"}]}
    body = urlencode({"payload": json.dumps(payload)})
    return body, signed(body, content_type="application/x-www-form-urlencoded")


async def test_an_eligible_employee_sees_the_text_chart_of_their_total_payment_under_the_table(app):
    call = await _home(app, "U0ALICE")
    text = call.blocks_text()
    assert "```\nTotal Payment of E1, Average Closing Price $15.00 to $40.00\n" in text
    assert text.index("$31.00") < text.index("Total Payment of E1, Average Closing Price")
    assert "* Total Payment   - $20,000.00   o the Employee Election Tool's table prices\n```" in text
