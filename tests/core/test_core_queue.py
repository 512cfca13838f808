"""The compchng queue through the conversation: tickets, threads, staff replies handed over."""

from datetime import timedelta


def test_an_eligibility_problem_becomes_a_ticket_and_the_asker_learns_what_happens_next(ask, conversation):
    reply = ask("my 2000 grant at $45 is missing from the tool").primary
    assert (reply.intent, reply.ticket) == ("eligibility", "CC-000001")
    assert "ticket CC-000001" in reply.text and "reply to you here in Slack" in reply.text
    assert "6:00 AM to 6:00 PM U.S. Pacific Time" in reply.text
    ticket = conversation.queue.get("CC-000001")
    assert (ticket.requester_employee_id, ticket.channel, ticket.category, ticket.status) == (
        "E1", "slack", "missing-options", "open")


def test_before_the_deadline_a_ticket_reply_says_not_to_wait_for_it_to_elect(ask):
    assert "the Election Deadline is Midnight New York City/Eastern Time" in ask(
        "I never received the launch email").primary.text


def test_a_second_message_about_the_same_problem_joins_the_open_ticket(ask, conversation, clock):
    ask("I never received the launch email")
    clock.advance(hours=30)
    reply = ask("still no email about the option transfer").primary
    assert reply.ticket == "CC-000001" and "added this to your open ticket CC-000001" in reply.text
    assert [m.author_kind for m in conversation.queue.messages("CC-000001")] == ["employee", "employee"]


def test_naming_the_ticket_adds_the_message_to_it(ask, conversation):
    ask("I never received the launch email")
    reply = ask("about CC-000001: I checked my spam folder too").primary
    assert reply.ticket == "CC-000001"
    assert conversation.queue.messages("CC-000001")[-1].text == "about CC-000001: I checked my spam folder too"


def test_naming_someone_elses_ticket_reveals_nothing_and_changes_nothing(ask, conversation):
    ask("I never received the launch email")                         # Alice: CC-000001
    reply = ask("what about CC-000001?", address="U0MEI").primary     # Mei is not the requester
    assert "CC-000001" not in reply.text
    assert len(conversation.queue.messages("CC-000001")) == 1


def test_talk_to_a_person_opens_a_ticket_with_the_message(ask, conversation):
    reply = ask("can I talk to a person about my divorce and my options?").primary
    assert reply.ticket == "CC-000001"
    assert "divorce" in conversation.queue.get("CC-000001").text


def test_after_not_sure_person_passes_the_original_question_to_compchng(ask, conversation):
    ask("what about the thing with the form for the other option stuff")
    reply = ask("person").primary
    assert reply.ticket == "CC-000001"
    assert conversation.queue.get("CC-000001").text == "what about the thing with the form for the other option stuff"


def test_a_staff_reply_on_the_cli_is_handed_over_on_the_employees_next_message_once(ask, conversation, clock):
    ask("I never received the launch email", channel="cli", address="cli:E1", employee_id="E1")
    conversation.queue.claim("CC-000001", "Pat", clock.now)
    conversation.queue.reply("CC-000001", "Pat", "We re-sent it to your inbox.", clock.now + timedelta(minutes=5))
    clock.advance(hours=2)
    first = ask("thanks", channel="cli", address="cli:E1", employee_id="E1")
    assert first.replies[0].text.startswith("Microsoft Stock Services replied about ticket CC-000001:")
    assert "> We re-sent it to your inbox." in first.replies[0].text
    assert first.replies[0].privacy == "private"
    assert not any("re-sent" in r.text for r in ask("ok", channel="cli", address="cli:E1", employee_id="E1").replies)
    [row] = conversation.queue.outbox("CC-000001")
    assert (row.status, row.sent_at) == ("sent", clock.now)


def test_a_staff_reply_to_a_slack_ticket_waits_in_the_outbox_for_the_slack_worker(ask, conversation, clock):
    ask("I never received the launch email")
    conversation.queue.reply("CC-000001", "Pat", "We re-sent it to your inbox.", clock.now)
    assert not any("re-sent" in r.text for r in ask("thanks").replies)
    [row] = [r for r in conversation.queue.outbox("CC-000001") if r.kind == "staff-reply"]
    assert (row.status, row.channel, row.recipient, row.kind) == ("pending", "slack", "U0ALICE", "staff-reply")


def test_every_message_and_reply_is_in_the_audit_trail(ask, conversation):
    ask("my 2000 grant at $45 is missing from the tool")
    ask("when is the deadline?")
    events = list(conversation.audit.since(conversation.clock() - timedelta(days=1)))
    assert [(e.direction, e.kind, e.intent, e.ticket) for e in events] == [
        ("in", "message", "eligibility", "CC-000001"),
        ("out", "reply", "eligibility", "CC-000001"),
        ("in", "message", "faq", None),
        ("out", "reply", "faq", None),
    ]
    assert events[3].sections[0] == "q21" and events[0].employee_id == "E1"
