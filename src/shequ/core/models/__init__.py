"""Core models: regions, departments, memberships, people, audit, notifications, tokens."""

from shequ.core.models.access import ApiToken, LoginLock
from shequ.core.models.audit import AuditEvent
from shequ.core.models.notifications import Channel, Delivery, InboxMessage
from shequ.core.models.people import Person
from shequ.core.models.regions import Department, Membership, Region, RegionLevel, Role
from shequ.core.models.workers import PeriodicClaim, WorkerHeartbeat

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Channel",
    "Delivery",
    "Department",
    "InboxMessage",
    "LoginLock",
    "Membership",
    "PeriodicClaim",
    "Person",
    "Region",
    "RegionLevel",
    "Role",
    "WorkerHeartbeat",
]
