"""Personal answers: figures from the shared calculation module, only to the employee, privately."""

from decimal import Decimal

from bot import figures


def test_an_identified_employee_gets_their_total_payment_at_the_price_they_name(ask):
    # $33.00 grant: 0.50 + (27-20)/(30-20) x (2.50-0.50) = 1.90 per option x 1,000 = $1,900.00
    # $45.00 grant: 0.10 + 0.7 x (0.60-0.10) = 0.45 per option x 2,000 = $900.00; the $25.00 grant is not eligible
    reply = ask("what would I get at $27?").primary
    assert reply.intent == "estimate" and reply.privacy == "private"
    assert reply.text.startswith("Your estimated Total Payment at an assumed Average Closing Price of $27.00: "
                                 "$2,800.00 (pre-tax, U.S. dollars).")
    assert "$1.9000" in reply.text and "$1,900.00" in reply.text and "$900.00" in reply.text


def test_the_figures_are_the_same_numbers_as_sotp_estimate(ask, conversation, settings):
    reply = ask("how much will I get at 26.5 bucks?").primary
    expected = figures.estimate_for(conversation.db, settings, "E1", Decimal("26.5"))
    assert f"${expected.total_payment:,.2f}" in reply.text


def test_the_tools_caveats_come_with_every_estimate(ask):
    text = ask("estimate my payout at $25").primary.text
    assert "Amounts are pre-tax." in text
    assert "All amounts are in U.S. dollars." in text
    assert "may not reflect your actual Total Payment" in text


def test_without_a_price_the_reply_is_the_tools_23_to_31_table(ask):
    # At $23: 0.50 + 0.3 x 2.00 = 1.10 x 1,000 = 1,100.00 and 0.10 + 0.3 x 0.50 = 0.25 x 2,000 = 500.00
    text = ask("what would I be paid for my options in total?").primary.text
    assert "$23.00                     $1,600.00" in text
    assert "Name an assumed Average Closing Price up to $40.00" in text


def test_a_follow_up_price_keeps_the_context_across_conversations(ask, conversation, db_path, settings, clock):
    from bot import store
    from handlers.core import Conversation
    from handlers.messages import Incoming

    ask("what's my total at $27?")
    # A new process (a new Conversation on the same database) still knows the conversation.
    again = Conversation(store.open_db(db_path), settings, clock=clock)
    reply = again.handle(Incoming("slack", "U0ALICE", "and at 30?")).primary
    # $30: 2.50 x 1,000 + 0.60 x 2,000 = 2,500.00 + 1,200.00 = $3,700.00
    assert "of $30.00: $3,700.00" in reply.text


def test_the_conversation_forgets_after_thirty_minutes_of_silence(ask, clock):
    ask("can I transfer only some of my options?")
    clock.advance(minutes=29)
    assert ask("more").primary.sections == ("q14",)
    clock.advance(minutes=30)
    assert ask("more").primary.sections != ("q14",)


def test_a_price_above_the_tools_limit_is_explained_not_estimated(ask):
    reply = ask("what do I get at $45?").primary
    assert "$40.00" in reply.text and "Total Payment at an assumed" not in reply.text


def test_level_68_in_spain_gets_the_top_rate_plus_18_percent_schedule(ask):
    # 20,000 options x 1.90 = 38,000.00; Initial = (0.45 + 0.18) x 38,000 = 23,940.00;
    # the remainder 14,060.00 is split in halves of 7,030.00 (December 2005 and 2006).
    text = ask("my payout at $27?", channel="email", address="druiz@example.com").primary.text
    assert "$38,000.00" in text
    assert "Initial Payment            November 12, 2003  December 31, 2003  $23,940.00" in text
    assert "First Contingent Payment   December 9, 2005   December 31, 2005   $7,030.00" in text
    assert "Second Contingent Payment  December 9, 2006   December 31, 2006   $7,030.00" in text
    assert "because you are employed at Level 68 or above" in text


def test_someone_not_eligible_gets_the_reasons_not_an_estimate(ask):
    reply = ask("what would I get at $27?", address="U0JAN").primary
    assert "according to the records I have, you are not an Eligible Employee" in reply.text
    assert "Belgium" in reply.text
    assert "Total Payment at an assumed" not in reply.text and "$1,900.00" not in reply.text


def test_am_i_eligible_lists_every_grant_with_the_reason_it_does_not_count(ask):
    reply = ask("which of my options count?").primary
    assert reply.intent == "eligibility" and reply.privacy == "private"
    assert "you are an Eligible Employee holding 3,000 Eligible Options" in reply.text
    assert "exercise price $25.00 is below $33.00" in reply.text


def test_disputing_the_eligibility_shown_opens_a_data_error_ticket(ask, conversation):
    ask("am I eligible?")
    reply = ask("that's wrong, my 2002 grant should count").primary
    assert reply.ticket == "CC-000001"
    assert conversation.queue.get("CC-000001").category == "data-error"


def test_an_unknown_asker_gets_general_answers_only(ask):
    reply = ask("what would I get at $27?", address="U0NOBODY").primary
    assert reply.privacy == "public" and "$2,800.00" not in reply.text
    assert "I can only show them to you privately" in reply.text


def test_a_slack_profile_email_identifies_an_employee_without_a_slack_id(ask):
    reply = ask("what would I get at $27?", address="U0DIEGO", profile_email="DRUIZ@example.com").primary
    assert "$38,000.00" in reply.text


def test_an_email_from_the_address_on_record_is_identified_case_insensitively(ask):
    response = ask("estimate at $27", channel="email", address="alice.smith@EXAMPLE.com")
    assert response.employee_id == "E1"
    assert response.private_to == "Alice.Smith@example.com"


def test_a_running_conversation_uses_a_grid_imported_after_it_started(ask, conversation, tmp_path):
    from bot.imports import import_file

    assert "$2,800.00" in ask("what would I get at $27?").primary.text
    grid = tmp_path / "grid2.csv"
    grid.write_text("exercise_price,expiration_date,multi_year_grant,average_closing_price,price_per_option\n"
                    "33.00,2010-04-24,0,0.00,0.0000\n33.00,2010-04-24,0,40.00,4.0000\n"
                    "45.00,2007-07-03,0,0.00,0.0000\n45.00,2007-07-03,0,40.00,2.0000\n")
    import_file(conversation.db, "grid", grid)
    # $27: 27/40 x 4.00 = 2.70 x 1,000 = 2,700.00 and 27/40 x 2.00 = 1.35 x 2,000 = 2,700.00
    assert "$5,400.00" in ask("what would I get at $27?").primary.text
