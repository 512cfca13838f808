"""Which mail is never answered: every screening rule, the exceptions to them, and the cap per sender."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.email.parse import read_headers
from bot.channels.email.rules import Mail, default_policy, load_rules
from bot.channels.email.screen import screen
from bot.channels.email.threads import MessageIds
from bot.config import ConfigError

POLICY = default_policy(frozenset({"compchng@microsoft.com"}), "microsoft.com")
OWN_ID = MessageIds(b"k" * 32, "microsoft.com").for_row(12, "reply:email:<q@x>:0")


def mail(*headers: str, sender: str = "alice.smith@example.com", envelope: str = "alice.smith@example.com",
         subject: str = "SOTP question") -> Mail:
    lines = [f"From: {sender}", "To: compchng@microsoft.com", f"Subject: {subject}", *headers]
    raw = ("\r\n".join(lines) + "\r\n\r\nWhen is the deadline?\r\n").encode()
    return Mail(read_headers(raw), envelope)


def decide(m: Mail, replies: int = 0) -> str:
    return screen(m, POLICY, lambda sender: replies).rule


@pytest.mark.parametrize("header, rule", [
    ("Auto-Submitted: auto-replied", "auto-submitted"),
    ("Auto-Submitted: auto-generated", "auto-submitted"),
    ("Auto-Submitted: auto-replied; owner-email=\"x@y\"", "auto-submitted"),
    ("Precedence: bulk", "precedence"),
    ("Precedence: junk", "precedence"),
    ("Precedence: list", "precedence"),
    ("X-Precedence: bulk", "precedence"),
    ("List-Id: <sotp-news.lists.example.com>", "mailing-list"),
    ("List-Unsubscribe: <mailto:leave@lists.example.com>", "mailing-list"),
    ("X-Auto-Response-Suppress: All", "auto-response-suppress"),
    ("X-Loop: compchng@microsoft.com", "x-loop"),
    ("X-Autoreply: yes", "autoreply-header"),
    ("X-Failed-Recipients: gone@example.com", "failed-recipients"),
    ("Content-Type: multipart/report; report-type=delivery-status; boundary=x", "delivery-report"),
    (f"Message-ID: {OWN_ID}", "own-message-id"),
])
def test_a_header_that_marks_automatic_mail_means_no_reply(header, rule):
    assert decide(mail(header)) == rule


@pytest.mark.parametrize("header", ["Auto-Submitted: no", "Auto-Submitted: No", "Precedence: first-class",
                                    "X-Loop: someone-else@example.com", "Message-ID: <sotp.1.0123456789abcdef@other.example>"])
def test_a_human_message_with_a_harmless_header_is_answered(header):
    assert decide(mail(header)) == "answer"


@pytest.mark.parametrize("subject", ["Automatic reply: SOTP question", "Out of Office AutoReply: Deadline",
                                     "Out of office: back on Monday", "Automatische Antwort: Frage",
                                     "Réponse automatique : question", "Auto: away"])
def test_an_out_of_office_subject_means_no_reply(subject):
    assert decide(mail(subject=subject)) == "out-of-office"


def test_a_subject_that_only_mentions_the_office_is_answered():
    assert decide(mail(subject="Question about options when I am out of the office in December")) == "answer"


def test_the_null_envelope_sender_means_no_reply():
    assert decide(mail(envelope="")) == "empty-envelope-sender"


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@relay.example.com", "postmaster@example.com"])
def test_mail_systems_own_mailboxes_get_no_reply(sender):
    assert decide(mail(sender=sender, envelope=sender)) == "system-sender"


def test_mail_from_the_alias_itself_gets_no_reply():
    assert decide(mail(sender="Compchng@Microsoft.com", envelope="bounces@microsoft.com")) == "from-alias"


def test_a_sender_past_the_cap_of_automatic_replies_gets_no_more():
    assert decide(mail(), replies=5) == "answer"            # five so far: not more than five
    assert decide(mail(), replies=6) == "auto-reply-limit"


def test_the_first_matching_rule_is_the_one_recorded():
    assert decide(mail("Auto-Submitted: auto-replied", "Precedence: bulk")) == "auto-submitted"


def test_a_policy_clone_changes_one_value_and_leaves_the_shipped_one():
    strict = POLICY.clone(auto_reply_limit=0)
    assert screen(mail(), strict, lambda s: 1).rule == "auto-reply-limit"
    assert screen(mail(), POLICY, lambda s: 1).rule == "answer"


def test_a_rules_file_with_a_bad_pattern_names_the_rule(tmp_path: Path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nname = "x"\nkind = "subject"\npattern = "(unclosed"\n')
    with pytest.raises(ConfigError, match="rules.toml rule 1: not a regular expression"):
        load_rules(bad)


def test_a_rules_file_with_an_unknown_kind_is_refused(tmp_path: Path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nname = "x"\nkind = "astrology"\n')
    with pytest.raises(ConfigError, match="unknown rule kind 'astrology'"):
        load_rules(bad)
