"""Health code (健康码): green passes; yellow and red are refused and alert the staff."""

from __future__ import annotations

from shequ.access.providers.base import Finding, Provider, Subject, register


class HealthProvider(Provider):
    kind = "health"
    dataset = "health_code_status"
    sql = "SELECT id_number, status FROM {table}"

    def answer(self, subject: Subject) -> Finding:
        row, version = self.lookup(subject)
        if row is None:
            return Finding(self.kind, "health_unknown", version=version)
        status = row[0].strip().lower()
        if status == "green":
            return Finding(self.kind, "health_green", version=version)
        if status in ("yellow", "red"):
            return Finding(
                self.kind, f"health_{status}", status, refuse=True, alert=True, version=version
            )
        return Finding(self.kind, "health_unknown", version=version)


register(HealthProvider())
