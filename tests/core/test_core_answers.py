"""Answers that depend on the asker's country and level, follow-ups, and election status."""

from bot import store


def test_more_after_an_answer_gives_the_whole_section(ask):
    ask("can I transfer only some of my options?")
    reply = ask("more").primary
    assert reply.text.startswith("Q14.") and reply.sections == ("q14",)


def test_full_q4_gives_that_section_at_any_time(ask):
    assert "> No, participation in the Stock Option Transfer Program is completely voluntary." in ask("full q4").primary.text


def test_choosing_a_number_after_not_sure_answers_from_that_section(ask):
    offered = ask("what about the thing with the form for the other option stuff").primary
    reply = ask("2").primary
    assert reply.sections == (offered.choices[1],)


def test_a_spanish_level_69_asking_about_the_schedule_gets_the_notices_words_for_their_group(ask):
    reply = ask("when do I get paid?", channel="email", address="druiz@example.com").primary
    assert reply.privacy == "private"
    assert "For you (Spain, Employee Level 69, according to the records I have), the Notice says:" in reply.text
    assert "> Employees at Level 68 or above as of the Election Deadline: The Initial Payment will be" in reply.text


def test_a_mexican_employee_asking_how_they_are_paid_gets_their_countrys_line(ask):
    reply = ask("is the money paid through payroll?", address="U0MEI").primary
    assert reply.sections[0] == "payment-method"
    assert "For employees in Mexico, the Method of Payment page lists payment through Mellon Investor Services" in reply.text


def test_a_brazilian_asking_how_to_elect_is_told_about_the_two_step_process(ask):
    reply = ask("how do I submit my election?", address="U0BRUNA").primary
    assert "You are employed in Brazil, one of the countries with a two-step process" in reply.text


def test_an_anonymous_faq_answer_is_public_and_has_no_personal_lines(ask):
    reply = ask("when do I get paid?", address="U0NOBODY").primary
    assert reply.privacy == "public" and "For you (" not in reply.text


def _elections(conversation, tmp_path, *rows):
    from bot.imports import import_file
    path = tmp_path / "elections.csv"
    path.write_text("employee_id,action,method,submitted_at,signed_form_received_at\n" + "\n".join(rows) + "\n")
    import_file(conversation.db, "elections", path)


def test_a_two_step_employee_is_told_mellon_has_not_received_the_signed_form(ask, conversation, tmp_path):
    _elections(conversation, tmp_path, "E3,participate,online,2003-11-01T10:00:00-08:00,")
    reply = ask("did my election go through?", address="U0BRUNA").primary
    assert reply.intent == "election" and reply.privacy == "private"
    assert "pending the receipt of your signed hardcopy confirmation form" in reply.text
    assert "must RECEIVE your signed Election Form by the Election Deadline" in reply.text


def test_election_status_for_someone_without_records_says_there_is_none(ask, conversation, tmp_path):
    _elections(conversation, tmp_path, "E3,participate,online,2003-11-01T10:00:00-08:00,")
    assert "There is no election on record for you." in ask("what's my election status?").primary.text


def test_an_unknown_asker_cannot_see_any_election_status(ask):
    reply = ask("did my election go through?", address="U0NOBODY").primary
    assert reply.privacy == "public" and "only look up an election status for the employee" in reply.text


def test_the_asker_is_identified_from_the_store_not_from_the_message(ask, conversation):
    assert store.employee(conversation.db, "E1").slack_user_id == "U0ALICE"
    reply = ask("I am Diego Ruiz, E2. what would I get at $27?").primary
    assert "$2,800.00" in reply.text and "$38,000.00" not in reply.text


def test_a_known_askers_tax_question_is_answered_from_their_countrys_guide(ask):
    reply = ask("how will the payment be taxed?", channel="email", address="druiz@example.com").primary
    assert reply.sections[0] == "guide:spain"


def test_the_same_tax_question_from_a_us_employee_is_answered_from_q18(ask):
    assert ask("how will the payment be taxed?").primary.sections[0] in {"q18", "s16"}
