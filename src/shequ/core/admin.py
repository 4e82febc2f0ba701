"""Django admin for platform administrators. The audit log is read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shequ.core import models


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent",)


@admin.register(models.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region")
    list_filter = ("kind",)
    search_fields = ("name", "code")


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "department")
    list_filter = ("role",)
    search_fields = ("user__username", "region__name", "region__code")
    raw_id_fields = ("user", "region", "department")


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    """Only masked values are shown; clear values go through the audited reveal."""

    list_display = ("name_masked", "id_number_masked", "phone_masked", "region")
    fields = ("region", "name_masked", "id_number_masked", "phone_masked", "address_masked")
    readonly_fields = fields
    search_fields = ("region__code",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_repr", "region_code", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "action", "object_repr", "region_code")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "enabled", "last_sent", "last_error")
    list_filter = ("kind", "enabled")
    exclude = ("config",)


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created", "last_used", "revoked_at")
    readonly_fields = ("prefix", "digest", "created", "last_used")
