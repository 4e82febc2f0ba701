"""What services announce so the worker's jobs can act, without a service importing a job.

A job module imports the services it runs; a service that imported the job back to queue it
would close a circle. So a service sends one of these signals (after its transaction commits),
and the app's ``jobs`` module, imported by ``AppConfig.ready`` in every process, queues the task.
"""

from __future__ import annotations

from django.dispatch import Signal

# region_id: int, message: shequ.core.transports.base.Message
region_message_queued = Signal()

# user_ids: list[int], message: shequ.core.transports.base.Message
people_message_queued = Signal()
