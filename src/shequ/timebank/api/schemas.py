"""Every answer of the time bank API (errors are ``shequ.core.schemas.Error``)."""

from datetime import datetime

from ninja import Field, Schema

from shequ.timebank.models import HelpRequest, Member, Order, Transfer


class HelpReasonIn(Schema):
    reason: str = Field("", max_length=300)


class TimebankMemberOut(Schema):
    id: int
    region_code: str
    name: str = Field(..., description="masked")
    is_volunteer: bool
    is_requester: bool
    skills: list[str]
    languages: list[str]
    availability: dict[str, list[str]]
    reach: str
    balance_minutes: int
    lower_limit_minutes: int | None
    upper_limit_minutes: int | None

    @staticmethod
    def resolve_region_code(obj: Member) -> str:
        return obj.region.code

    @staticmethod
    def resolve_balance_minutes(obj: Member) -> int:
        return obj.account.balance

    @staticmethod
    def resolve_lower_limit_minutes(obj: Member) -> int | None:
        return obj.account.lower_limit

    @staticmethod
    def resolve_upper_limit_minutes(obj: Member) -> int | None:
        return obj.account.upper_limit


class HelpRequestOut(Schema):
    id: int
    region_code: str
    beneficiary: str = Field(..., description="the beneficiary's masked name")
    category: str
    description: str
    estate: str
    building: str
    address: str = Field(..., description="masked; the exact one at /address")
    starts_at: datetime
    ends_at: datetime
    volunteers_needed: int
    estimated_minutes: int
    series_id: int | None = Field(None, description="the recurring request it belongs to")
    urgency: str
    status: str
    created: datetime
    first_taken_at: datetime | None

    @staticmethod
    def resolve_region_code(obj: HelpRequest) -> str:
        return obj.region.code

    @staticmethod
    def resolve_beneficiary(obj: HelpRequest) -> str:
        return obj.beneficiary.person.name_masked

    @staticmethod
    def resolve_address(obj: HelpRequest) -> str:
        return obj.address_masked


class HelpOrderOut(Schema):
    id: int
    request_id: int
    slot: int
    volunteer: str = Field(..., description="the volunteer's masked name")
    status: str
    taken_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    reported_minutes: int | None
    confirmed_at: datetime | None
    paid_minutes: int | None

    @staticmethod
    def resolve_volunteer(obj: Order) -> str:
        return obj.volunteer.person.name_masked

    @staticmethod
    def resolve_paid_minutes(obj: Order) -> int | None:
        return obj.transfer.minutes if obj.transfer_id and obj.transfer else None


class HelpEventOut(Schema):
    action: str
    order_id: int | None
    from_status: str
    to_status: str
    actor: str
    at: datetime

    @staticmethod
    def resolve_actor(obj: object) -> str:
        actor = getattr(obj, "actor", None)
        return actor.get_username() if actor is not None else "system"


class HelpRequestDetailOut(HelpRequestOut):
    orders: list[HelpOrderOut]
    events: list[HelpEventOut]

    @staticmethod
    def resolve_orders(obj: HelpRequest) -> list[Order]:
        return list(obj.orders.select_related("volunteer__person", "transfer"))

    @staticmethod
    def resolve_events(obj: HelpRequest) -> list[object]:
        return list(obj.events.select_related("actor"))


class HelpAddressOut(Schema):
    address: str


class HelpRatingOut(Schema):
    order_id: int
    side: str
    score: int
    text: str
    at: datetime


class TimebankIndicatorsOut(Schema):
    region_code: str
    start: datetime
    end: datetime
    registered_volunteers: int
    active_volunteers: int
    requests_posted: int
    services_completed: int
    confirmed_minutes: int
    take_minutes_p50: float | None
    take_minutes_p90: float | None
    completion_rate: float | None
    demand_answered: float | None
    satisfaction: float | None
    ratings: int


class TransferOut(Schema):
    id: int
    kind: str
    debit_account: int
    credit_account: int
    minutes: int
    memo: str
    reverses: int | None
    created: datetime

    @staticmethod
    def resolve_debit_account(obj: Transfer) -> int:
        return obj.debit_id

    @staticmethod
    def resolve_credit_account(obj: Transfer) -> int:
        return obj.credit_id

    @staticmethod
    def resolve_reverses(obj: Transfer) -> int | None:
        return obj.reverses_id
