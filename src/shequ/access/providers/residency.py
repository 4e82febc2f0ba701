"""Residency (户籍): a person the registry shows as moved out or deceased is refused.

A person absent from the registry (tenants, the floating population) is not refused for it.
"""

from __future__ import annotations

from shequ.access.providers.base import Finding, Provider, Subject, register


class ResidencyProvider(Provider):
    kind = "residency"
    dataset = "household_registry"
    sql = "SELECT id_number, status, region_code FROM {table}"

    def answer(self, subject: Subject) -> Finding:
        row, version = self.lookup(subject)
        if row is None:
            return Finding(self.kind, "residency_unknown", version=version)
        status, region_code = row
        if status and status != "正常":
            return Finding(self.kind, "not_resident", "yellow", refuse=True, version=version)
        if region_code != subject.region_code:
            return Finding(self.kind, "registered_elsewhere", version=version)
        return Finding(self.kind, "resident", version=version)


register(ResidencyProvider())
