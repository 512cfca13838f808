"""DMs and mentions are answered by the core; personal answers go only to the asker; who is asking."""

from bot.channels.slack.store import SlackStore


async def test_a_dm_is_answered_in_the_dm_with_the_quoted_passage_and_its_source(app):
    await app.dm("when is the election deadline?")
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "D0ALICE" and "thread_ts" not in post.params
    blocks = post.params["blocks"]
    assert blocks[0]["text"]["text"] == "From Q21 of the Notice:"
    assert blocks[1]["text"]["text"].startswith("> The Election Period for the Stock Option Transfer Program will "
                                                "end on Wednesday, November 12, 2003, at Midnight")
    assert blocks[2]["type"] == "context" and blocks[2]["elements"][0]["text"].endswith("[q21]")
    assert post.buttons() == ["Show full section", "Helpful", "Not helpful", "Ask compchng"]


async def test_a_dm_in_a_thread_is_answered_in_that_thread(app):
    await app.dm("when is the election deadline?", thread_ts="1067860800.000001")
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == "1067860800.000001"


async def test_a_general_answer_to_a_mention_goes_in_the_thread_under_it(app):
    await app.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "ts": "1067860800.000010",
                     "text": "<@UBOT> when is the election deadline?"})
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert (post.params["channel"], post.params["thread_ts"]) == ("C0GENERAL", "1067860800.000010")
    await app.settle()
    assert app.slack.of("chat.postEphemeral") == []


async def test_a_personal_answer_to_a_mention_goes_only_to_the_asker_and_the_thread_learns_nothing(app):
    await app.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "ts": "1067860800.000011",
                     "text": "<@UBOT> estimate my total payment at $27"})
    (ephemeral,) = await app.slack.wait_for("chat.postEphemeral")
    (public,) = await app.slack.wait_for("chat.postMessage")
    assert (ephemeral.params["channel"], ephemeral.params["user"], ephemeral.params["thread_ts"]) == (
        "C0GENERAL", "U0ALICE", "1067860800.000011")
    assert "$2,800.00" in ephemeral.blocks_text()
    assert (public.params["channel"], public.params["thread_ts"]) == ("C0GENERAL", "1067860800.000011")
    assert public.blocks_text() == "I've sent my answer to you privately (it concerns your own records)."
    assert "$" not in public.params["text"]


async def test_a_slack_user_not_on_record_is_found_by_the_profile_email_whatever_its_case(app):
    await app.dm("estimate my total payment at $27", user="U0DIEGO")
    (post,) = await app.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "D0DIEGO"
    assert "Your estimated Total Payment at an assumed Average Closing Price of $27.00: $38,000.00" in post.blocks_text()
    assert [c.params["user"] for c in app.slack.of("users.info")] == ["U0DIEGO"]


async def test_the_email_link_is_stored_and_slack_is_not_asked_again(app):
    await app.dm("estimate my total payment at $27", user="U0DIEGO")
    await app.slack.wait_for("chat.postMessage")
    await app.dm("and at $30?", user="U0DIEGO")
    await app.slack.wait_for("chat.postMessage", 2)
    assert len(app.slack.of("users.info")) == 1
    stored = SlackStore(app.db).user("U0DIEGO")
    assert (stored.employee_id, stored.email, stored.time_zone) == ("E2", "DRuiz@Example.COM", "Europe/Madrid")


async def test_an_employee_with_a_slack_id_on_record_needs_no_lookup(app):
    await app.dm("when is the election deadline?")
    await app.slack.wait_for("chat.postMessage")
    assert app.slack.of("users.info") == []


async def test_an_unknown_slack_user_gets_general_answers_and_is_told_how_to_get_personal_figures(app):
    await app.dm("estimate my total payment at $27", user="U0NOBODY")
    (post,) = await app.slack.wait_for("chat.postMessage")
    text = post.blocks_text()
    assert "$38,000.00" not in text and "Your own figures depend on your Eligible Options" in text
    assert ("I couldn't match your Slack account to an employee record (I look for the email on your Slack "
            "profile), so I can only answer in general here.") in text


async def test_the_dm_channel_slack_answers_with_is_remembered_for_messages_the_app_starts(app):
    await app.dm("when is the election deadline?", user="U0DIEGO")
    await app.slack.wait_for("chat.postMessage")
    assert SlackStore(app.db).dm_channels() == {"U0DIEGO": "D0DIEGO"}


async def test_the_employees_with_a_slack_id_on_record_are_known_from_the_start_without_a_lookup(app):
    alice, pat = app.deps.directory.cached("U0ALICE"), app.deps.directory.cached("U0PAT")
    assert (alice.employee.employee_id, pat.employee.employee_id) == ("E1", "E6")
    assert app.deps.directory.cached("U0DIEGO") is None      # linked by profile email only: found on first message
    assert app.deps.directory.lookups == 0 and app.slack.of("users.info") == []


async def test_the_load_keeps_a_stored_time_zone_only_while_it_is_fresh(app, clock):
    from datetime import timedelta

    from bot.channels.slack.directory import Directory
    from bot.db import write_transaction

    with write_transaction(app.db):
        SlackStore(app.db).remember_lookup("U0ALICE", "alice.smith@example.com", "America/Los_Angeles", "E1",
                                           clock() - timedelta(hours=2))
        SlackStore(app.db).remember_lookup("U0PAT", "pquinn@example.com", "America/New_York", "E6",
                                           clock() - timedelta(hours=30))
    directory = Directory(app.context.connections, app.deps.api, ttl=timedelta(hours=24), clock=clock)
    assert await directory.load() == 5          # E1, E3, E4, E5 and E6 have a Slack id on record
    assert directory.cached("U0ALICE").time_zone == "America/Los_Angeles"
    assert directory.cached("U0PAT").time_zone is None       # 30 hours old: asked again when it is needed


async def test_the_dm_channels_on_record_are_loaded_at_start(app):
    from datetime import timedelta

    from bot.channels.slack.directory import Directory

    await app.dm("when is the election deadline?", user="U0DIEGO")
    await app.slack.wait_for("chat.postMessage")
    directory = Directory(app.context.connections, app.deps.api, ttl=timedelta(hours=24), clock=app.deps.directory.clock)
    await directory.load()
    assert directory._dms == {"U0DIEGO": "D0DIEGO"}


async def test_a_new_asker_when_the_directory_is_full_pushes_out_only_the_oldest_entry(app, monkeypatch):
    from bot.channels.slack import directory

    monkeypatch.setattr(directory, "CACHE_LIMIT", 5)      # as many as the load at start brought in
    await app.dm("when is the election deadline?", user="U0DIEGO")
    await app.slack.wait_for("chat.postMessage")
    held = [u for u in ("U0ALICE", "U0BRUNA", "U0JAN", "U0MEI", "U0PAT", "U0DIEGO") if app.deps.directory.cached(u)]
    assert held == ["U0BRUNA", "U0JAN", "U0MEI", "U0PAT", "U0DIEGO"]
