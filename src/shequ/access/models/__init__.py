"""Access control models, split by concept."""

from shequ.access.models.credentials import Consent, Credential, Removal
from shequ.access.models.log import AccessEvent, Alert, Colour
from shequ.access.models.passes import VisitorPass
from shequ.access.models.points import AccessPoint, Device
from shequ.access.models.welfare import WelfareCheck, WelfareOptOut

__all__ = [
    "AccessEvent",
    "AccessPoint",
    "Alert",
    "Colour",
    "Consent",
    "Credential",
    "Device",
    "Removal",
    "VisitorPass",
    "WelfareCheck",
    "WelfareOptOut",
]
