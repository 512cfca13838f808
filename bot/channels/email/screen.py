"""Screening: does this email get an automatic reply? Pure, given how many replies the sender already got."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.channels.email.rules import Mail, ScreenPolicy

AUTO_REPLY_LIMIT = "auto-reply-limit"


@dataclass(frozen=True)
class Decision:
    answer: bool
    rule: str               # the rule that decided: "answer", a rule's name, or "auto-reply-limit"

    @property
    def why(self) -> str:
        return "answered" if self.answer else f"not answered: {self.rule}"


ANSWER = Decision(True, "answer")


def screen(mail: Mail, policy: ScreenPolicy, replies_in_window: Callable[[str], int]) -> Decision:
    """The first rule that matches says no; then the cap on automatic replies per sender per window."""
    for rule in policy.rules:
        if rule.match(mail, policy):
            return Decision(False, rule.name)
    sender = mail.headers.from_addr
    if sender and replies_in_window(sender.lower()) > policy.auto_reply_limit:
        return Decision(False, AUTO_REPLY_LIMIT)
    return ANSWER
