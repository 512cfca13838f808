"""/sotp: each subcommand answers privately (the command's response_url, ephemeral), a bare question is ask."""

from bot.channels.slack.blocks import escape
from bot.preferences import Preferences
from bot.queue import Queue


async def _answer(app, text, **kw):
    status, _ = await app.command(text, **kw)
    assert status == 200
    (call,) = await app.slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral" and call.params["replace_original"] is False
    return call


async def test_help_lists_every_subcommand_privately(app):
    call = await _answer(app, "help")
    text = call.blocks_text()
    for usage in ("/sotp ask <question>", "/sotp estimate [price]", "/sotp eligibility", "/sotp deadline",
                  "/sotp status", "/sotp human <text>", "/sotp reminders on|off"):
        assert escape(usage) in text          # Slack shows &lt; as <
    assert app.slack.of("chat.postMessage") == []


async def test_an_unknown_subcommand_gets_help_naming_it(app):
    call = await _answer(app, "frobnicate")
    assert call.blocks_text().startswith("I don't know the subcommand `frobnicate`.\n*/sotp* answers questions")


async def test_a_bare_question_is_answered_like_ask(app):
    call = await _answer(app, "when is the election deadline?")
    assert call.params["blocks"][0]["text"]["text"] == "From Q21 of the Notice:"
    assert call.buttons() == ["Show full section", "Helpful", "Not helpful", "Ask compchng"]


async def test_estimate_at_a_price_shows_the_askers_own_figures_only_to_them(app):
    call = await _answer(app, "estimate 27", channel="C0GENERAL")
    assert "Your estimated Total Payment at an assumed Average Closing Price of $27.00: $2,800.00" in call.blocks_text()
    assert app.slack.of("chat.postMessage") == []


async def test_estimate_without_a_price_shows_the_23_to_31_table(app):
    call = await _answer(app, "estimate")
    text = call.blocks_text()
    assert "$23.00" in text and "$31.00" in text and "$1,600.00" in text


async def test_an_estimate_above_40_is_refused_with_the_tools_limit(app):
    call = await _answer(app, "estimate $45")
    assert "above $40.00, the highest price the Employee Election Tool's calculator models" in call.blocks_text()


async def test_eligibility_status_and_deadline(app):
    assert "you are an Eligible Employee holding 3,000 Eligible Options" in (await _answer(app, "eligibility")).blocks_text()
    app.slack.calls.clear()
    assert "There is no election on record for you." in (await _answer(app, "status")).blocks_text()
    app.slack.calls.clear()
    assert "November 12, 2003, at Midnight" in (await _answer(app, "deadline")).blocks_text()


async def test_human_opens_a_ticket_with_the_text(app):
    call = await _answer(app, "human my grant 0003 is missing from the Tool")
    assert "as ticket CC-000001" in call.blocks_text()
    (ticket,) = Queue(app.db).list()
    assert (ticket.requester_employee_id, ticket.channel) == ("E1", "slack")
    assert "my grant 0003 is missing from the Tool" in ticket.text


async def test_reminders_off_and_on_are_stored_for_the_employee(app):
    call = await _answer(app, "reminders off")
    assert call.blocks_text().startswith("Slack reminders are off. Email reminders of the Election Deadline still go")
    assert Preferences(app.db).get("E1", "slack_reminders") is False
    app.slack.calls.clear()
    await _answer(app, "reminders on")
    assert Preferences(app.db).get("E1", "slack_reminders") is True


async def test_reminders_for_an_unknown_slack_user_change_nothing(app):
    call = await _answer(app, "reminders off", user="U0NOBODY")
    assert call.blocks_text() == ("I can't match your Slack account to an employee record, so there are no "
                                  "reminders of yours to change.")


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message_in_the_channel(app):
    app.slack.answer_next("response_url", status=404)
    await app.command("when is the election deadline?", channel="C0GENERAL")
    (ephemeral,) = await app.slack.wait_for("chat.postEphemeral")
    assert (ephemeral.params["channel"], ephemeral.params["user"]) == ("C0GENERAL", "U0ALICE")
    assert "From Q21 of the Notice:" in ephemeral.blocks_text()
