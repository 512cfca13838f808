"""Personal data only to that employee, privately; nothing at all about anyone else."""

import re


def _personal(text: str) -> bool:
    return bool(re.search(r"\$\d[\d,]*\.\d\d|Grant\s+Grant date|Eligible Options:|you are (an|not an) Eligible", text))


def test_in_a_shared_channel_the_public_reply_carries_no_personal_data(ask):
    response = ask("what would I get at $27?", shared=True)
    public = [r for r in response.replies if r.privacy == "public"]
    private = [r for r in response.replies if r.privacy == "private"]
    assert public and private
    assert not any(_personal(r.text) for r in public)
    assert public[0].text == "I've sent my answer to you privately (it concerns your own records)."
    assert "$2,800.00" in private[0].text
    assert response.private_to == "U0ALICE"


def test_a_question_about_someone_elses_figures_is_refused_without_revealing_anything(ask):
    about_eligible = ask("what does Diego Ruiz get at $27?").primary.text
    about_ineligible = ask("what does Jan Peeters get at $27?").primary.text
    about_nobody = ask("what does Zed Zzyzx get at $27?").primary.text
    assert about_eligible == about_ineligible == about_nobody
    assert "only discuss a person's own options" in about_eligible
    assert not _personal(about_eligible)


def test_is_jane_eligible_is_refused_the_same_way(ask):
    reply = ask("is Jan eligible?").primary
    assert "only discuss a person's own options" in reply.text


def test_asking_about_a_country_is_not_mistaken_for_asking_about_a_person(ask):
    assert "only discuss" not in ask("is Belgium eligible for the program?").primary.text


def test_an_email_reply_goes_only_to_the_address_on_record(ask):
    response = ask("estimate at $27", channel="email", address="druiz@example.com")
    assert response.private_to == "druiz@example.com"


def test_an_unknown_email_sender_gets_no_private_address_and_no_personal_data(ask):
    response = ask("estimate at $27 for employee E1", channel="email", address="someone@outside.example")
    assert response.private_to is None
    assert not any(_personal(r.text) for r in response.replies)
