"""What the conversation core hands back to a channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Privacy = Literal["public", "private"]


@dataclass(frozen=True, slots=True)
class Reply:
    intent: str
    parts: tuple[str, ...]              # paragraphs, in order; channels join or format them
    sections: tuple[str, ...] = ()      # cited section ids, best first
    confidence: float = 1.0             # 0..1: how sure the answer fits the question
    privacy: Privacy = "public"         # "private": personal data, only to that employee, privately
    ticket: str | None = None           # compchng ticket id, when one was opened or updated
    choices: tuple[str, ...] = field(default=())  # section ids offered as "did you mean" choices
    sub_intent: str = ""                # what within the intent: "withdraw", "help", "identity", ...
    safety: tuple[str, ...] = ()        # safety statements the reply carries: "election", "advice"
    chart: str | None = None            # employee id: this estimate goes with their Total Payment chart,
                                        # privately only (handlers.outgoing.plan says where it may go)

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in self.parts if p)
