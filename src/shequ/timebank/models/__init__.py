"""Time bank models, split by concept."""

from shequ.timebank.models.ledger import Account, ImmutableError, Movement, Transfer
from shequ.timebank.models.members import Member, Reach, Skill
from shequ.timebank.models.requests import (
    ACTIVE_ORDER,
    Category,
    Event,
    HelpRequest,
    Order,
    Rating,
    Series,
    ThankYou,
)

__all__ = [
    "ACTIVE_ORDER",
    "Account",
    "Category",
    "Event",
    "HelpRequest",
    "ImmutableError",
    "Member",
    "Movement",
    "Order",
    "Rating",
    "Reach",
    "Series",
    "Skill",
    "ThankYou",
    "Transfer",
]
