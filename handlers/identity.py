"""Who is asking: an employee on record, or someone the assistant must treat as unknown.

Identity comes only from what the channel vouches for (the Slack user id and its
profile email, the email's From address, the CLI's --employee) and is looked up in
the imported employee records. Unknown askers get general answers only.
"""

from __future__ import annotations

from bot import store
from bot.calc.records import Employee
from bot.db import Database
from handlers.messages import Incoming


def identify(db: Database, incoming: Incoming) -> Employee | None:
    if incoming.employee_id:
        return store.employee(db, incoming.employee_id)
    if incoming.channel == "slack":
        found = store.employee_by_slack_id(db, incoming.address)
        if found is None and incoming.profile_email:
            found = store.employee_by_email(db, incoming.profile_email)
            # A Slack id on record that differs means the profile email belongs to someone else's account.
            if found is not None and found.slack_user_id and found.slack_user_id != incoming.address:
                return None
        return found
    if incoming.channel == "email":
        return store.employee_by_email(db, incoming.address)
    return None


def asker_key(incoming: Incoming, employee: Employee | None) -> str:
    """The key of the asker's conversation state and tickets: the employee id, else the address."""
    if employee is not None:
        return employee.employee_id
    return incoming.address.strip().lower() if incoming.channel == "email" else incoming.address.strip()
