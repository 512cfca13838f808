"""Slack events as the core reads them: the words typed, the message's id, where replies thread."""

from bot.channels.slack.text import (Command, clean_text, command_to_incoming, message_to_incoming,
                                     parse_command)


def test_a_mention_of_the_app_is_removed_and_other_markup_reads_as_its_label():
    text = "<@UBOT> is <https://stock|the Tool> down? ask <@U0PAT|pat> in <#C123|general> &amp; <mailto:a@b.com>"
    assert clean_text(text, "UBOT") == "is the Tool down? ask @pat in #general & a@b.com"


def test_a_bare_link_reads_as_its_address_and_entities_are_unescaped():
    assert clean_text("see <https://stock> &lt;now&gt;", "UBOT") == "see https://stock <now>"


def test_a_dm_is_one_message_id_by_channel_and_ts_and_replies_at_the_top():
    event = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE",
             "text": "when is the deadline?", "ts": "1067860800.000100"}
    incoming = message_to_incoming(event, "UBOT", profile_email="alice@example.com")
    assert (incoming.message_id, incoming.reply_ref, incoming.conversation, incoming.shared,
            incoming.profile_email) == ("D0ALICE:1067860800.000100", "1067860800.000100", "D0ALICE", False,
                                        "alice@example.com")


def test_a_mention_in_a_thread_replies_under_the_threads_parent_and_is_shared():
    event = {"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "text": "<@UBOT> deadline?",
             "ts": "1067860800.000300", "thread_ts": "1067860800.000100"}
    incoming = message_to_incoming(event, "UBOT")
    assert (incoming.text, incoming.shared, incoming.reply_ref, incoming.message_id) == (
        "deadline?", True, "1067860800.000100", "C0GENERAL:1067860800.000300")


def test_edits_bot_posts_and_the_apps_own_messages_are_not_answered():
    base = {"type": "message", "channel": "D0ALICE", "user": "U0ALICE", "text": "hi", "ts": "1.2"}
    assert message_to_incoming({**base, "subtype": "message_changed"}, "UBOT") is None
    assert message_to_incoming({**base, "bot_id": "B0OTHER"}, "UBOT") is None
    assert message_to_incoming({**base, "user": "UBOT"}, "UBOT") is None
    assert message_to_incoming({**base, "subtype": "channel_join"}, "UBOT") is None


def test_subcommands_and_their_arguments_are_read():
    assert parse_command("estimate $27.50") == Command("estimate", "$27.50", "estimate")
    assert parse_command("Reminders OFF") == Command("reminders", "OFF", "Reminders")
    assert parse_command("human my grant 0003 is missing") == Command("human", "my grant 0003 is missing", "human")


def test_a_bare_question_is_ask_and_a_lone_unknown_word_is_help():
    assert parse_command("when is the deadline?") == Command("ask", "when is the deadline?", "when")
    assert parse_command("frobnicate") == Command("help", "", "frobnicate")
    assert parse_command("") == Command("help", "")


def test_a_command_is_answered_privately_to_the_person_who_typed_it():
    body = {"user_id": "U0ALICE", "channel_id": "C0GENERAL", "trigger_id": "t1", "response_url": "http://x/r"}
    incoming = command_to_incoming(body, "when is the deadline?")
    assert (incoming.address, incoming.message_id, incoming.metadata["reply"], incoming.shared) == (
        "U0ALICE", "C0GENERAL:command:t1", "ephemeral", False)
