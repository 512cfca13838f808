"""`sotp send-test-mail`: send a real message to the assistant's SMTP listener, as an employee would."""

from __future__ import annotations

import argparse
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from bot.commands._common import CommandError, common_parent, settings_from_args

DEFAULT_LISTEN = "127.0.0.1:2525"
DEFAULT_ALIAS = "compchng@microsoft.com"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "send-test-mail", parents=[common_parent()], help="email a question to the running assistant",
        description="Send a real email to the assistant's SMTP listener (sotp serve / make run), from a demo "
                    "employee's address on record unless --from is given. The reply is delivered like any other: "
                    "with the embedded defaults it appears as a .eml file in var/mail/.")
    parser.add_argument("question", help='the question, in quotes: "When is the deadline?"')
    parser.add_argument("--from", dest="sender", metavar="ADDRESS",
                        help="the sender (default: the first employee on record with Eligible Options)")
    parser.add_argument("--subject", help="the subject (default: the question)")
    parser.set_defaults(func=run)


def _demo_sender(args: argparse.Namespace) -> str:
    from bot import store
    from bot.commands._common import open_database
    from bot.figures import eligibility_for

    settings = settings_from_args(args)
    db = open_database(args, settings)
    for employee_id in store.employee_ids(db)[:500]:
        if eligibility_for(db, employee_id).eligible:
            found = store.employee(db, employee_id)
            assert found is not None
            return found.email
    raise CommandError(f"no employee with Eligible Options in {settings.db_path}: give --from ADDRESS")


def run(args: argparse.Namespace) -> int:
    from bot.serve import host_port

    settings = settings_from_args(args)
    section = settings.section("email")
    host, port = host_port(str(section.get("listen", DEFAULT_LISTEN)), "email.listen")
    alias = str(section.get("mail_from", DEFAULT_ALIAS))
    sender = args.sender or _demo_sender(args)
    message = EmailMessage()
    message["From"], message["To"] = sender, alias
    message["Subject"] = args.subject or args.question
    message["Message-ID"] = make_msgid(domain="sotp-test.local")
    message.set_content(args.question)
    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise CommandError(f"could not send to the assistant's listener at {host}:{port} ({exc}); "
                           "is `make run` or `sotp serve` running?") from exc
    print(f"sent {message['Message-ID']} from {sender} to {alias} via {host}:{port}")
    sink = str(settings.section("serve").get("mail_sink", "") or "")
    if sink:
        print(f"the reply will appear in {settings.section('serve').get('mail_dir', 'var/mail')}/ in a moment")
    return 0
