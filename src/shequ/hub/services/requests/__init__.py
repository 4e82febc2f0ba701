"""Data requests and grants (数据申请与授权): submit, decide, withdraw, revoke, remind.

The pages, the API and the reminder job all come through these functions. The rules:

Requesting
- A hub user (``Perm.HUB``) requests a dataset they can see in the catalog, for themself or for
  one of their departments (the grant then goes to the department).
- Not shared (不予共享): cannot be requested.
- Columns are required and must be in the schema (minimum necessary: no "all columns" by
  default); columns in clear must be among them and be personal columns; purpose and legal
  basis are required; the period ends after it starts and not before today.
- One pending request per requester, department and dataset.

Deciding
- Unconditional (无条件共享): a request from a hub user of the dataset's region tree (the same
  rule that lets them read it masked), asking for nothing in clear, is approved at once with a
  grant issued by nobody (audit ``hub.grant.auto``). Personal data in clear always needs a
  person's decision, and a request from outside the tree goes to the approvers.
- Conditional (有条件共享), and the cases above: pending, decision due after
  ``SHEQU_HUB_APPROVAL_DAYS`` working days (Monday to Friday; public holidays are not known to
  the platform). The approvers get an inbox message, and one reminder a day once overdue.
- Approvers of a dataset: hub managers (``Perm.MANAGE_HUB``: street staff, platform admins) of
  the dataset's region or a region above it (a dataset of the shared catalog, without a region:
  platform-wide managers only), and members of the owning department (``Dataset.department``)
  who are department analysts, street staff or community staff. The requester never decides
  their own request. Messages go to the regional and departmental approvers; platform-wide
  ones only when there is nobody else.
- An approver may narrow, never widen, the columns in clear and the period, and may extend the
  rows to regions inside the dataset's region and their own (default: the grantee's regions).
- A refusal needs a reason. Only the requester withdraws, and only while the request is pending.

Grants
- A grant never changes. Revoking writes a second record (``kind=revoke``) with a reason; the
  approvers of the dataset and the grantee (the user, or a member of the granted department)
  may revoke; a second revocation is refused. An expired grant stops working at once
  (``shequ.hub.access.active_grants`` compares with the current time on every query).

Every step is audited: ``hub.request.submit|approve|refuse|withdraw|remind`` and
``hub.grant.issue|auto|revoke``. Inbox messages are written in the platform's language.
"""

from shequ.hub.services.requests.decide import approve, refuse, revoke, withdraw
from shequ.hub.services.requests.notices import send_overdue_reminders
from shequ.hub.services.requests.queries import (
    awaiting,
    grant_state,
    grants_of,
    is_overdue,
    my_requests,
    revocation_of,
    visible_requests,
)
from shequ.hub.services.requests.rules import (
    APPROVING_DEPARTMENT_ROLES,
    MANAGING_ROLES,
    add_working_days,
    approvable,
    approval_days,
    approvers,
    can_decide,
    can_revoke,
    can_see_request,
    can_withdraw,
    end_of,
    is_approver,
    is_grantee,
    start_of,
)
from shequ.hub.services.requests.submit import submit_request

__all__ = [
    "APPROVING_DEPARTMENT_ROLES",
    "MANAGING_ROLES",
    "add_working_days",
    "approvable",
    "approval_days",
    "approve",
    "approvers",
    "awaiting",
    "can_decide",
    "can_revoke",
    "can_see_request",
    "can_withdraw",
    "end_of",
    "grant_state",
    "grants_of",
    "is_approver",
    "is_grantee",
    "is_overdue",
    "my_requests",
    "refuse",
    "revocation_of",
    "revoke",
    "send_overdue_reminders",
    "start_of",
    "submit_request",
    "visible_requests",
    "withdraw",
]
