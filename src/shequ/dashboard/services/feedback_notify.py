"""Telling a resident that the staff replied to their feedback.

The message carries a link to "my feedback", never the comment or the reply: the resident's
own channels (e-mail, a robot) leave the platform, and the comment may hold what they typed
about themselves. The in-app inbox gets the same words, so no copy of the text is made at all.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.core.models import InboxMessage
from shequ.core.services.notify import notify_people_later
from shequ.core.transports.base import Message
from shequ.dashboard.models import Feedback


def reply_message(feedback: Feedback, event_id: str, *, first: bool) -> Message:
    with translation.override(settings.LANGUAGE_CODE):
        service = feedback.get_service_display()
        if first:
            title = _("The staff replied to your feedback on %(service)s") % {"service": service}
        else:
            title = _("The staff changed their reply to your feedback on %(service)s") % {
                "service": service
            }
        body = _("Open “My feedback” to read it.")
    url = f"{reverse('dashboard:feedback-mine')}#feedback-{feedback.pk}"
    return Message(
        title=str(title)[:200],
        body=str(body),
        url=url,
        region_code=feedback.region.code,
        event_id=event_id,
    )


def tell_author(feedback: Feedback, event_id: str, *, first: bool) -> Message:
    """The author's inbox now, their own channels after the commit (the worker sends them)."""
    message = reply_message(feedback, event_id, first=first)
    InboxMessage.objects.create(
        user_id=feedback.author_id, title=message.title, body=message.body, url=message.url
    )
    notify_people_later([feedback.author_id], message)
    return message
