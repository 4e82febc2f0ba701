"""Staff register a person of their community as a member, and edit a member's profile.

The person is found by ID number or mobile phone, matched by the number's keyed hash; the
number is never written back into a page. Once found, the form carries a signed reference
to the person, so a correction elsewhere in the form does not ask for the number again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.core.errors import ServiceError
from shequ.core.models import Person, Region
from shequ.core.types import User, user_of
from shequ.timebank.forms import MemberForm
from shequ.timebank.models import Member
from shequ.timebank.services import members
from shequ.timebank.views.staff import staff_regions_or_403
from shequ.web.errors import put_errors

SALT = "timebank.member.person"


def _person(form: MemberForm, actor: User, region: Region) -> Person | None:
    """The person the form names: typed anew, or the one found before (signed)."""
    data = form.cleaned_data
    try:
        if data.get("who"):
            return members.find_person(actor, region, data["who"])
        if data.get("person"):
            pk = signing.loads(data["person"], salt=SALT, max_age=3600)
            return members.find_person_by_pk(actor, region, pk)
    except signing.BadSignature:
        pass
    except ServiceError as exc:
        put_errors(form, exc)
        return None
    form.add_error("who", _("Type the person's ID number or mobile phone."))
    return None


@login_required
def register(request: HttpRequest) -> HttpResponse:
    regions = [r for r in staff_regions_or_403(request) if r.level in ("community", "village")]
    actor = user_of(request)
    form = MemberForm(request.POST or None, regions=[(r.code, r.name) for r in regions])
    found: Person | None = None
    if request.method == "POST":
        form.is_valid()  # the person is looked for even when another field is wrong
        data = form.cleaned_data
        region = next((r for r in regions if r.code == data.get("region")), None)
        found = _person(form, actor, region) if region is not None else None
        if found is not None and region is not None and not form.errors:
            try:
                member = members.register(
                    actor, found, region=region, request=request, **_profile(data)
                )
            except ServiceError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Registered: %(name)s.") % {"name": member.name})
                return redirect("timebank:staff-members")
    if found is not None:  # keep the person, not the number, for the next try
        data = request.POST.copy()
        data["person"] = signing.dumps(found.pk, salt=SALT)
        form.data = data
    return render(
        request, "timebank/staff/member_form.html", {"form": form, "found": found, "member": None}
    )


@login_required
def edit(request: HttpRequest, member_id: int) -> HttpResponse:
    regions = staff_regions_or_403(request)
    member = (
        Member.objects.filter(pk=member_id, region__in=regions)
        .select_related("person", "region")
        .first()
    )
    if member is None:
        raise Http404(_("No member %(pk)s in your communities.") % {"pk": member_id})
    form = MemberForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        profile = _profile(form.cleaned_data)
        try:
            members.edit(
                user_of(request),
                member,
                active=form.cleaned_data["active"],
                request=request,
                **profile,
            )
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(name)s.") % {"name": member.name})
            return redirect("timebank:staff-members")
    return render(
        request,
        "timebank/staff/member_form.html",
        {"form": form, "found": member.person, "member": member},
    )


def _profile(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("volunteer", "requester", "skills", "languages", "availability", "estate")
    return {k: data[k] for k in keys} | {"building": data["building"], "reach": data["reach"]}
