"""Synthetic rows for the hub datasets that the apps read (fake but well-formed).

One module per app's data (people, parking, flood, timebank, access).

Every table is written as a CSV and ingested through the real pipeline in replace
mode, so running the demo again refreshes the data instead of duplicating it.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from shequ.demo.data.access import make_elders
from shequ.demo.data.flood import make_water
from shequ.demo.data.parking import GATE_WEEKS, make_gate_records, make_parking_tables
from shequ.demo.data.people import START, Faker, make_people, make_vehicles
from shequ.demo.data.timebank import make_volunteers


def demo_tables(scale: int = 1) -> dict[str, Any]:
    """Dataset key -> rows (a list or an iterator of dicts)."""
    f = Faker()
    people = make_people(f, scale)
    vehicles = make_vehicles(
        Faker(20213), people
    )  # own draws: parking tweaks change no other table
    volunteers = make_volunteers(f, people, 356 * scale)
    plates = [v["plate"] for v in vehicles]
    return {
        "household_registry": people,
        "vehicle_registrations": vehicles,
        **make_parking_tables(vehicles, scale),
        "health_code_status": [
            {
                "id_number": p["id_number"],
                "name": p["name"],
                "status": f.rng.choices(["green", "yellow", "red"], weights=[97, 2, 1])[0],
                "reason": "",
                "updated_at": START.isoformat(),
                "region_code": p["region_code"],
            }
            for p in people
        ],
        "elderly_living_alone": make_elders(people),
        "garage_gate_records": make_gate_records(plates, weeks=GATE_WEEKS * scale),
        "water_level_readings": make_water(f, days=14 * scale),
        "volunteers": volunteers,
        # The service records are the time bank's own now: it publishes them anonymised
        # (timebank_service_records) from the services ``shequ demo`` runs through it.
    }


def write_csv(path: Path, rows: Any) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def load_demo_hub(scale: int = 1) -> dict[str, int]:
    """Load the catalog for the demo street and ingest the synthetic tables."""
    from shequ.core.models import Region
    from shequ.hub.models import Dataset
    from shequ.hub.services.catalog import load_catalog
    from shequ.hub.services.runs import ingest_file

    load_catalog(region=Region.objects.get(code="990102001000"))
    written: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="shequ-demo-") as tmp:
        for key, rows in demo_tables(scale).items():
            path = Path(tmp) / f"{key}.csv"
            write_csv(path, rows)
            run = ingest_file(Dataset.objects.get(key=key), path, mode="replace")
            if run.status != "succeeded":
                raise RuntimeError(f"demo data for {key} did not load: {run.error}")
            written[key] = run.rows_written
    return written
