"""The compchng queue: numbering, the same-problem rule, transitions, outbox, overdue."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.audit import AuditLog
from bot.business_hours import BusinessHours
from bot.outbox import Outbox
from bot.queue import InvalidTransition, Queue, QueueError, TicketNotFound, parse_ticket_ref
from bot.store import open_db

MONDAY = datetime(2003, 11, 3, 17, 4, 5, tzinfo=timezone.utc)  # Monday 09:04:05 PST
JANE, JANE_MAIL = "E1001", "jane@microsoft.com"
RAVI, RAVI_SLACK = "E2002", "U02RAVI"


def open_for_jane(queue, *, category="missing-options", text="My 2000 grant is missing", now=MONDAY,
                  channel="email", referenced=None):
    return queue.open_or_append(requester_employee_id=JANE, requester_address=JANE_MAIL, channel=channel,
                                category=category, text=text, now=now, referenced=referenced)


def open_for_ravi(queue, *, category="data-error", text="My hire date is wrong", now=MONDAY, referenced=None):
    return queue.open_or_append(requester_employee_id=RAVI, requester_address=RAVI_SLACK, channel="slack",
                                category=category, text=text, now=now, referenced=referenced)


# -- ticket ids ---------------------------------------------------------------------------------------

def test_the_first_ticket_is_cc_000001_and_the_next_cc_000002(queue):
    first, created_first = open_for_jane(queue)
    second, created_second = open_for_ravi(queue)
    assert (first.id, first.number, created_first) == ("CC-000001", 1, True)
    assert (second.id, second.number, created_second) == ("CC-000002", 2, True)


def test_numbering_continues_after_the_database_is_reopened(db_path, queue):
    open_for_jane(queue)
    queue.db.close()
    reopened = Queue(open_db(db_path))
    ticket, _ = open_for_ravi(reopened)
    assert ticket.id == "CC-000002"


@pytest.mark.parametrize("text, expected", [
    ("CC-000123", "CC-000123"),
    ("cc-123", "CC-000123"),
    ("any news on my ticket Cc-42?", "CC-000042"),
    ("CC-999999", "CC-999999"),
])
def test_a_ticket_reference_is_cc_and_one_to_six_digits_in_any_case(text, expected):
    assert parse_ticket_ref(text) == expected


@pytest.mark.parametrize("text", ["CC-1234567", "ACC-12", "CC-0", "CC-", "ticket 123", ""])
def test_anything_else_is_not_a_ticket_reference(text):
    assert parse_ticket_ref(text) is None


def test_a_new_ticket_keeps_requester_channel_category_and_text(queue):
    ticket, _ = open_for_jane(queue)
    assert (ticket.requester_employee_id, ticket.requester_address, ticket.channel) == (JANE, JANE_MAIL, "email")
    assert (ticket.category, ticket.text, ticket.status, ticket.assignee) == (
        "missing-options", "My 2000 grant is missing", "open", None)
    assert ticket.created_at == ticket.updated_at == MONDAY
    assert (ticket.last_staff_reply_at, ticket.resolved_at, ticket.resolution_note) == (None, None, None)


def test_the_original_message_opens_the_thread(queue):
    ticket, _ = open_for_jane(queue)
    [message] = queue.messages(ticket.id)
    assert (message.author_kind, message.author, message.text, message.created_at) == (
        "employee", JANE, "My 2000 grant is missing", MONDAY)


def test_an_unknown_category_is_refused(queue):
    with pytest.raises(QueueError, match="unknown category 'tax'"):
        open_for_jane(queue, category="tax")


# -- the same problem from the same person --------------------------------------------------------------

def test_the_same_category_71_hours_later_is_added_to_the_open_ticket(queue):
    first, _ = open_for_jane(queue)
    later = MONDAY + timedelta(hours=71)
    again, created = open_for_jane(queue, text="Still missing", now=later)
    assert (again.id, created, again.updated_at) == (first.id, False, later)
    assert [m.text for m in queue.messages(first.id)] == ["My 2000 grant is missing", "Still missing"]


def test_the_same_category_exactly_72_hours_later_is_still_within_three_days(queue):
    first, _ = open_for_jane(queue)
    again, created = open_for_jane(queue, now=MONDAY + timedelta(hours=72))
    assert (again.id, created) == (first.id, False)


def test_the_same_category_73_hours_later_opens_a_new_ticket(queue):
    open_for_jane(queue)
    again, created = open_for_jane(queue, now=MONDAY + timedelta(hours=73))
    assert (again.id, created) == ("CC-000002", True)


def test_the_three_days_run_from_the_last_update(queue):
    # Opened Monday, appended to 48 h later; 71 h after that append is 119 h after opening.
    first, _ = open_for_jane(queue)
    open_for_jane(queue, now=MONDAY + timedelta(hours=48))
    again, created = open_for_jane(queue, now=MONDAY + timedelta(hours=48 + 71))
    assert (again.id, created) == (first.id, False)


def test_a_different_category_opens_a_new_ticket(queue):
    open_for_jane(queue, category="missing-options")
    other, created = open_for_jane(queue, category="country", now=MONDAY + timedelta(hours=1))
    assert (other.id, created) == ("CC-000002", True)


def test_a_resolved_ticket_is_never_appended_to(queue):
    first, _ = open_for_jane(queue)
    queue.resolve(first.id, "alice", MONDAY + timedelta(hours=1))
    again, created = open_for_jane(queue, now=MONDAY + timedelta(hours=2))
    assert (again.id, created) == ("CC-000002", True)
    assert len(queue.messages(first.id)) == 2  # the original and "Resolved by alice."


def test_a_reference_to_a_resolved_ticket_opens_a_new_one(queue):
    first, _ = open_for_jane(queue)
    queue.resolve(first.id, "alice", MONDAY + timedelta(hours=1))
    again, created = open_for_jane(queue, now=MONDAY + timedelta(hours=2), referenced=first.id)
    assert (again.id, created) == ("CC-000002", True)


def test_a_reference_to_an_own_ticket_appends_whatever_its_age_and_category(queue):
    first, _ = open_for_jane(queue, category="missing-options")
    again, created = open_for_jane(queue, category="other", now=MONDAY + timedelta(days=10), referenced="cc-1")
    assert (again.id, created) == (first.id, False)


def test_a_reference_to_another_persons_ticket_is_ignored(queue):
    ravis, _ = open_for_ravi(queue)
    janes, created = open_for_jane(queue, category="data-error", referenced=ravis.id)
    assert (janes.id, created, janes.requester_employee_id) == ("CC-000002", True, JANE)
    assert [m.text for m in queue.messages(ravis.id)] == ["My hire date is wrong"]


def test_a_known_employee_is_the_same_requester_on_any_channel(queue):
    first, _ = open_for_jane(queue, channel="email")
    again, created = queue.open_or_append(
        requester_employee_id=JANE, requester_address="U01JANE", channel="slack",
        category="missing-options", text="Asking on Slack too", now=MONDAY + timedelta(hours=1))
    assert (again.id, created) == (first.id, False)


def test_an_unknown_asker_is_the_same_requester_only_from_the_same_address(queue):
    def ask(address, hours):
        return queue.open_or_append(requester_employee_id=None, requester_address=address, channel="email",
                                    category="other", text="Please call me", now=MONDAY + timedelta(hours=hours))
    first, _ = ask("someone@example.com", 0)
    same, created_same = ask("SOMEONE@example.com", 1)
    other, created_other = ask("else@example.com", 2)
    assert (same.id, created_same) == (first.id, False)
    assert (other.id, created_other) == ("CC-000002", True)


def test_an_unknown_asker_never_joins_an_employees_ticket_at_the_same_address(queue):
    janes, _ = open_for_jane(queue, category="other")
    unknown, created = queue.open_or_append(
        requester_employee_id=None, requester_address=JANE_MAIL, channel="email",
        category="other", text="Who am I?", now=MONDAY + timedelta(hours=1), referenced=janes.id)
    assert (unknown.id, created) == ("CC-000002", True)


def test_open_tickets_of_lists_only_that_requesters_unresolved_tickets(queue):
    first, _ = open_for_jane(queue, category="missing-options")
    second, _ = open_for_jane(queue, category="country")
    open_for_ravi(queue)
    queue.resolve(first.id, "alice", MONDAY)
    assert [t.id for t in queue.open_tickets_of(employee_id=JANE)] == [second.id]
    assert [t.id for t in queue.open_tickets_of(address=RAVI_SLACK)] == []  # Ravi is known by employee id
    assert [t.id for t in queue.open_tickets_of(employee_id=RAVI)] == ["CC-000003"]


# -- transitions --------------------------------------------------------------------------------------

def test_claiming_an_open_ticket_makes_it_claimed_by_that_person(queue):
    ticket, _ = open_for_jane(queue)
    later = MONDAY + timedelta(minutes=5)
    claim = queue.claim(ticket.id, "alice", later)
    assert (claim.ticket.status, claim.ticket.assignee, claim.ticket.updated_at) == ("claimed", "alice", later)
    assert (claim.previous_assignee, claim.reassigned) == (None, False)
    assert queue.messages(ticket.id)[-1].text == "Claimed by alice."


def test_claiming_a_claimed_ticket_reassigns_it_and_says_so(queue):
    ticket, _ = open_for_jane(queue)
    queue.claim(ticket.id, "alice", MONDAY)
    claim = queue.claim(ticket.id, "bob", MONDAY + timedelta(minutes=1))
    assert (claim.ticket.assignee, claim.previous_assignee, claim.reassigned) == ("bob", "alice", True)
    assert queue.messages(ticket.id)[-1].text == "Re-assigned from alice to bob."


def test_claiming_a_resolved_ticket_is_refused(queue):
    ticket, _ = open_for_jane(queue)
    queue.resolve(ticket.id, "alice", MONDAY)
    with pytest.raises(InvalidTransition, match="^CC-000001 is resolved; it cannot be claimed$"):
        queue.claim(ticket.id, "bob", MONDAY)


def test_a_reply_is_queued_for_the_requesters_channel_and_address(queue):
    ticket, _ = open_for_jane(queue)
    later = MONDAY + timedelta(hours=2)
    item = queue.reply(ticket.id, "alice", "We found the grant.", later)
    assert (item.ticket, item.channel, item.recipient, item.employee_id) == (ticket.id, "email", JANE_MAIL, JANE)
    assert (item.kind, item.payload["text"], item.created_at, item.status) == (
        "staff-reply", "We found the grant.", later, "pending")


def test_a_reply_joins_the_thread_and_sets_the_last_staff_reply(queue):
    ticket, _ = open_for_jane(queue)
    later = MONDAY + timedelta(hours=2)
    queue.reply(ticket.id, "alice", "We found the grant.", later)
    last = queue.messages(ticket.id)[-1]
    assert (last.author_kind, last.author, last.text) == ("staff", "alice", "We found the grant.")
    assert queue.get(ticket.id).last_staff_reply_at == later


def test_replying_to_an_open_ticket_claims_it_for_the_replier(queue):
    ticket, _ = open_for_jane(queue)
    queue.reply(ticket.id, "alice", "Looking into it.", MONDAY)
    after = queue.get(ticket.id)
    assert (after.status, after.assignee) == ("claimed", "alice")


def test_replying_to_a_ticket_claimed_by_someone_else_keeps_its_assignee(queue):
    ticket, _ = open_for_jane(queue)
    queue.claim(ticket.id, "alice", MONDAY)
    queue.reply(ticket.id, "bob", "Covering for Alice.", MONDAY)
    assert queue.get(ticket.id).assignee == "alice"


def test_replying_to_a_resolved_ticket_is_refused_and_queues_nothing(queue):
    ticket, _ = open_for_jane(queue)
    queue.resolve(ticket.id, "alice", MONDAY)
    with pytest.raises(InvalidTransition, match="^CC-000001 is resolved; it cannot be replied to$"):
        queue.reply(ticket.id, "bob", "Too late", MONDAY)
    assert queue.outbox(ticket.id) == []


def test_a_reply_is_recorded_in_the_audit_trail(queue, audit):
    ticket, _ = open_for_jane(queue)
    queue.reply(ticket.id, "alice", "We found the grant.", MONDAY)
    [event] = audit.since(MONDAY)
    assert (event.direction, event.kind, event.channel, event.address, event.employee_id) == (
        "out", "staff-reply", "email", JANE_MAIL, JANE)
    assert (event.ticket, event.text, event.at) == ("CC-000001", "We found the grant.", MONDAY)


def test_a_reply_whose_audit_record_fails_changes_nothing(queue, db):
    # A real failure inside the transaction: the audit table refuses this insert.
    ticket, _ = open_for_jane(queue)
    db.execute("CREATE TRIGGER audit_full BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(Exception, match="disk full"):
        queue.reply(ticket.id, "alice", "We found the grant.", MONDAY)
    after = queue.get(ticket.id)
    assert (after.status, after.assignee, after.last_staff_reply_at) == ("open", None, None)
    assert len(queue.messages(ticket.id)) == 1
    assert queue.outbox(ticket.id) == []


def test_resolving_keeps_the_note_and_records_who_resolved(queue):
    ticket, _ = open_for_jane(queue)
    later = MONDAY + timedelta(days=1)
    resolved = queue.resolve(ticket.id, "alice", later, note="Grant added to the Tool")
    assert (resolved.status, resolved.resolved_at, resolved.resolution_note) == ("resolved", later, "Grant added to the Tool")
    last = queue.messages(ticket.id)[-1]
    assert (last.author_kind, last.text) == ("system", "Resolved by alice. Note: Grant added to the Tool")


def test_resolving_a_resolved_ticket_is_refused(queue):
    ticket, _ = open_for_jane(queue)
    queue.resolve(ticket.id, "alice", MONDAY)
    with pytest.raises(InvalidTransition, match="^CC-000001 is already resolved$"):
        queue.resolve(ticket.id, "bob", MONDAY)


def test_an_employee_message_on_a_resolved_ticket_is_refused(queue):
    ticket, _ = open_for_jane(queue)
    queue.resolve(ticket.id, "alice", MONDAY)
    with pytest.raises(InvalidTransition, match="^CC-000001 is resolved; a new message needs a new ticket$"):
        queue.add_employee_message(ticket.id, "One more thing", MONDAY)


def test_an_employee_message_joins_the_thread_and_bumps_the_update_time(queue):
    ticket, _ = open_for_jane(queue)
    later = MONDAY + timedelta(hours=1)
    after = queue.add_employee_message(ticket.id, "Grant date 2000-04-12", later)
    assert after.updated_at == later
    assert queue.messages(ticket.id)[-1].text == "Grant date 2000-04-12"


@pytest.mark.parametrize("act", [
    lambda q: q.get("CC-000099"),
    lambda q: q.messages("cc-99"),
    lambda q: q.claim("CC-000099", "alice", MONDAY),
    lambda q: q.reply("CC-000099", "alice", "hello", MONDAY),
    lambda q: q.resolve("CC-000099", "alice", MONDAY),
])
def test_a_missing_ticket_is_named_in_the_error(queue, act):
    with pytest.raises(TicketNotFound, match="^no ticket CC-000099$"):
        act(queue)


def test_something_that_is_not_a_ticket_id_is_not_found(queue):
    with pytest.raises(TicketNotFound, match="ticket ids look like CC-000042"):
        queue.get("42")


def test_list_is_oldest_first_and_filters_by_status(queue):
    janes, _ = open_for_jane(queue, now=MONDAY + timedelta(hours=1))
    ravis, _ = open_for_ravi(queue, now=MONDAY)
    queue.claim(janes.id, "alice", MONDAY + timedelta(hours=2))
    assert [t.id for t in queue.list()] == [ravis.id, janes.id]
    assert [t.id for t in queue.list("claimed")] == [janes.id]
    with pytest.raises(QueueError, match="unknown status 'closed'"):
        queue.list("closed")


# -- outbox -------------------------------------------------------------------------------------------

def test_a_queued_reply_is_delivered_once(queue, db):
    ticket, _ = open_for_jane(queue)
    item = queue.reply(ticket.id, "alice", "We found the grant.", MONDAY)
    delivered = MONDAY + timedelta(minutes=1)
    outbox = Outbox(db)
    [claimed] = outbox.claim("email", delivered)
    assert claimed.id == item.id and outbox.complete(claimed, delivered, provider_ref="<m1@x>")
    assert outbox.claim("email", delivered + timedelta(hours=1)) == []
    assert not outbox.complete(claimed, delivered + timedelta(hours=1))
    assert (queue.outbox(ticket.id)[0].status, queue.outbox(ticket.id)[0].sent_at) == ("sent", delivered)


def test_replies_are_queued_for_each_requesters_own_channel(queue, db):
    janes, _ = open_for_jane(queue)
    ravis, _ = open_for_ravi(queue)
    for_jane = queue.reply(janes.id, "alice", "For Jane", MONDAY)
    for_ravi = queue.reply(ravis.id, "alice", "For Ravi", MONDAY)
    assert [(r.id, r.recipient) for r in Outbox(db).rows(channel="email")] == [(for_jane.id, JANE_MAIL)]
    assert [r.id for r in Outbox(db).rows(channel="slack")] == [for_ravi.id]


# -- overdue ------------------------------------------------------------------------------------------

FRIDAY_5PM = datetime(2003, 11, 8, 1, 0, tzinfo=timezone.utc)  # Friday 2003-11-07 17:00 PST


def test_a_ticket_is_overdue_only_after_more_than_the_business_hours(queue):
    ticket, _ = open_for_jane(queue, now=FRIDAY_5PM)
    hours = BusinessHours()
    # Friday 17:00-18:00 = 1 h; Monday 06:00-13:00 = 7 h; total 8 h at Monday 13:00 PST (21:00 UTC).
    monday_1pm = datetime(2003, 11, 10, 21, 0, tzinfo=timezone.utc)
    assert queue.overdue(monday_1pm, 8, hours) == []
    assert [t.id for t in queue.overdue(monday_1pm + timedelta(minutes=1), 8, hours)] == [ticket.id]


def test_a_ticket_over_the_weekend_is_not_overdue_on_monday_morning(queue):
    open_for_jane(queue, now=FRIDAY_5PM)
    # 63 wall-clock hours later but 1 business hour: Monday 2003-11-10 08:00 PST = 16:00 UTC.
    assert queue.overdue(datetime(2003, 11, 10, 16, 0, tzinfo=timezone.utc), 8, BusinessHours()) == []


def test_a_staff_reply_or_resolution_ends_overdue(queue):
    replied, _ = open_for_jane(queue, now=FRIDAY_5PM)
    resolved, _ = open_for_ravi(queue, now=FRIDAY_5PM)
    queue.reply(replied.id, "alice", "On it", FRIDAY_5PM)
    queue.resolve(resolved.id, "alice", FRIDAY_5PM)
    assert queue.overdue(datetime(2003, 11, 14, 0, 0, tzinfo=timezone.utc), 8, BusinessHours()) == []


def test_a_claim_without_a_reply_is_still_overdue(queue):
    ticket, _ = open_for_jane(queue, now=FRIDAY_5PM)
    queue.claim(ticket.id, "alice", FRIDAY_5PM)
    assert [t.id for t in queue.overdue(datetime(2003, 11, 14, 0, 0, tzinfo=timezone.utc), 8, BusinessHours())] == [ticket.id]


# -- indexes ------------------------------------------------------------------------------------------

def test_requester_and_status_lookups_use_indexes(queue, db, query_plans):
    open_for_jane(queue)
    plans = query_plans(db, lambda: (
        queue.open_tickets_of(employee_id=JANE),
        queue.open_tickets_of(address="someone@example.com"),
        queue.list("open"),
    ))
    assert len(plans) == 3
    for plan, index in zip(plans, ["tickets_employee", "tickets_address", "tickets_status"]):
        assert f"USING INDEX {index}" in plan, plan
        assert "SCAN" not in plan, plan


def test_a_queue_made_without_an_audit_log_still_records_staff_replies(db):
    queue = Queue(db)
    ticket, _ = open_for_jane(queue)
    assert queue.reply(ticket.id, "alice", "Hello", MONDAY).ticket == "CC-000001"
    assert [e.kind for e in AuditLog(db).since(MONDAY)] == ["staff-reply"]


def test_a_change_inside_the_callers_transaction_is_undone_with_it(queue, db):
    ticket, _ = open_for_jane(queue)
    with pytest.raises(RuntimeError):
        with db.atomic():
            queue.claim(ticket.id, "alice", MONDAY)
            raise RuntimeError("the caller's next step failed")
    assert (queue.get(ticket.id).status, len(queue.messages(ticket.id))) == ("open", 1)


def test_a_message_is_kept_exactly_as_written(queue):
    ticket, _ = open_for_jane(queue, text="  My grant is missing.\n\n-- Jane\n")
    assert ticket.text == queue.messages(ticket.id)[0].text == "  My grant is missing.\n\n-- Jane\n"


def test_a_blank_reply_or_staff_name_is_refused(queue):
    ticket, _ = open_for_jane(queue)
    with pytest.raises(QueueError, match="the reply must not be empty"):
        queue.reply(ticket.id, "alice", "   ", MONDAY)
    with pytest.raises(QueueError, match="the staff member's name must not be empty"):
        queue.claim(ticket.id, " ", MONDAY)
