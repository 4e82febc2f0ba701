"""The demo's residents' feedback: a handful of ratings over the last ten days, most answered,
so the feedback indicators show figures and the staff's inbox has work in it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from shequ.core.models import Membership, Role
from shequ.core.models.regions import RegionLevel
from shequ.dashboard.models import Feedback

# (service, rating, comment, days ago, hours to the first reply or None, reply)
ITEMS = [
    (
        "parking",
        5,
        "夜间停车很方便，比小区月租便宜。",
        9,
        2.0,
        "感谢支持，我们会继续扩大共享车位。",
    ),
    (
        "parking",
        3,
        "早上七点半前必须离场，有点赶。",
        7,
        5.5,
        "已与写字楼协商，离场时间放宽到八点。",
    ),
    (
        "timebank",
        5,
        "志愿者小周当天就送来了热饭，老人很高兴。",
        8,
        1.0,
        "谢谢反馈，已为志愿者记录表扬。",
    ),
    ("timebank", 4, "接单很快，希望周末也有人接单。", 5, 3.0, "周末已增加值班志愿者。"),
    (
        "access",
        2,
        "访客码有时扫不出来，请回电13812345678。",
        4,
        20.0,
        "已联系您并更换了门口扫码器。",
    ),
    ("access", 4, "刷脸进门顺畅。", 3, 6.0, "谢谢！"),
    ("flood", 5, "下雨时能在手机上看到涵洞水位，出门前先看一眼。", 6, 4.0, "汛期我们会持续更新。"),
    ("parking", 4, "希望增加新能源充电位。", 1, None, ""),
    ("timebank", 3, "服务时间可以再灵活些。", 0, None, ""),
]


def build() -> int:
    """Make the demo's feedback once (a demo built again keeps what it has); return the count."""
    if Feedback.objects.exists():
        return 0
    residents = list(
        Membership.objects.filter(
            role__in=(Role.RESIDENT, Role.VOLUNTEER),
            region__level__in=(RegionLevel.COMMUNITY, RegionLevel.VILLAGE),
        )
        .select_related("user", "region")
        .order_by("region__code", "user__username")[:200]
    )
    if not residents:
        return 0
    staff = get_user_model().objects.filter(username="community").first()
    now = timezone.now()
    made = []
    for i, (service, rating, comment, days, reply_after, reply) in enumerate(ITEMS):
        who = residents[(i * 7) % len(residents)]
        created = now - timedelta(days=days, hours=3 + i)
        made.append(
            Feedback(
                author=who.user,
                region=who.region,
                service=service,
                rating=rating,
                comment=comment,
                created_at=created,
                reply=reply,
                replied_by=staff if reply else None,
                first_replied_at=created + timedelta(hours=reply_after)
                if reply_after is not None
                else None,
            )
        )
    Feedback.objects.bulk_create(made)
    return len(made)
