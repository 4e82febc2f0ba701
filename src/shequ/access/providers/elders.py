"""Elders living alone (独居老人), from the hub's ``elderly_living_alone`` dataset.

Not a door provider (it decides nothing at the door, so it is not registered): the welfare
check reads it, with the same snapshot per dataset version.
"""

from __future__ import annotations

from shequ.access.providers.base import Finding, Provider, Subject


class EldersLivingAlone(Provider):
    kind = "elders"
    dataset = "elderly_living_alone"
    sql = "SELECT id_number, region_code FROM {table} WHERE living_status = '独居'"

    def answer(self, subject: Subject) -> Finding:
        row, version = self.lookup(subject)
        return Finding(self.kind, "living_alone" if row else "not_listed", version=version)

    def hashes(self) -> set[str]:
        return set(self.snapshot().rows)


ELDERS = EldersLivingAlone()
