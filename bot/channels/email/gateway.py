"""The gateway's parts built once from the service context, and wired together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from bot.channels.email.adapter import EmailAdapter
from bot.channels.email.compose import load_texts, section_texts
from bot.channels.email.inbox import message_id_key
from bot.channels.email.processor import InboundProcessor
from bot.channels.email.processproc import ProcessorProcess
from bot.channels.email.rules import default_policy
from bot.channels.email.settings import EmailSettings, email_settings
from bot.channels.email.smtp_in import InboundMailHandler, SmtpListener
from bot.channels.email.threads import MessageIds
from bot.channels.email.worker import EmailDeliveryWorker
from bot.db import Connections
from bot.serve import ServeContext, WorkerComponent


@dataclass
class Gateway:
    config: EmailSettings
    listener: SmtpListener
    processor: InboundProcessor | ProcessorProcess
    adapter: EmailAdapter
    worker: WorkerComponent

    @property
    def components(self) -> list[Any]:
        return [self.listener, self.processor, self.worker]


def inbound_processor(connections: Connections, conversation: Any, config: EmailSettings,
                      clock: Callable[[], datetime]) -> InboundProcessor:
    """The processor of the inbound ledger, the same in the service and in its own process (processproc)."""
    key = config.message_id_secret.encode("utf-8") if config.message_id_secret else message_id_key(connections.db())
    policy = default_policy(config.accept, config.message_id_domain, auto_reply_limit=config.auto_reply_limit,
                            auto_reply_window_minutes=config.auto_reply_window_minutes)
    return InboundProcessor(connections, conversation, policy=policy, ids=MessageIds(key, config.message_id_domain),
                            texts=load_texts(), tag=config.subject_tag, clock=clock)


def build_gateway(context: ServeContext) -> Gateway:
    config = email_settings(context.settings, context.args)
    connections, conversation = context.connections, context.conversation
    local = inbound_processor(connections, conversation, config, context.clock)
    processor: InboundProcessor | ProcessorProcess = local
    if config.processor_process:
        processor = ProcessorProcess(local, context.settings, config, log_file=getattr(context.args, "log_file", None))
    handler = InboundMailHandler(connections, config.accept, domain=config.message_id_domain,
                                 on_stored=processor.wake, clock=context.clock)
    corpus = conversation.knowledge.corpus

    def title(section_id: str) -> str | None:
        return corpus[section_id].title if section_id in corpus else None

    async def chart(employee_id: str) -> bytes | None:
        from bot.charts import pool

        return await pool.draw_awaited(connections.path, context.settings, employee_id)

    adapter = EmailAdapter(connections, config, ids=local.ids, texts=local.texts, titles=title,
                           staff_lead=conversation.t.text("staff.lead"), clock=context.clock, chart=chart,
                           section_texts=section_texts(corpus))
    worker = EmailDeliveryWorker(connections, adapter, clock=context.clock,
                                 lease=timedelta(seconds=config.delivery_lease), concurrency=config.relay_connections)
    component = WorkerComponent(worker, context)      # registers worker.wake as the core's email waker
    conversation.wakers["email"] = processor.deferring(worker.wake)
    return Gateway(config, SmtpListener(handler, config), processor, adapter, component)
