"""The typhoon of ``shequ demo --scenario typhoon``, as data: what each gauge reads at each step,
what the cameras see, and what the people on duty do (no Django here).

Six hours of a typhoon over 石桥村 in 72 steps of 5 minutes (the gauges report every 5 minutes
once the response level asks them to): rain builds to some 14 mm in 5 minutes, the railway
culvert fills from 2 cm to 48 cm (blue, yellow, orange, red), the main road dip and the square
flood less, the creek rises towards its banks; a camera sees water on the road, then a vehicle
trapped in the culvert. The street raises its emergency response (IV, then II), the duty
officer acknowledges, closes the road and sends a rescue; then the rain stops, the water falls,
the alerts resolve, the tasks are done and the response ends.

The same seed gives the same typhoon: the small noise on each gauge comes from
``random.Random(f"typhoon-{seed}-{device}")``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

STEP = timedelta(minutes=5)
STEPS = 72  # six hours
SPAN = STEP * STEPS
PEAK = 30  # the step where ``--until peak`` stops: the culvert at its worst, tasks under way
DEFAULT_SEED = 2026

# Each gauge's course: (step, value) corners, joined by straight lines (cm, or mm per report).
COURSES: dict[str, list[tuple[int, float]]] = {
    # the railway culvert: blue at 12, yellow 16, orange 18 (response II), red 24
    "W01": [(0, 2), (8, 4), (12, 9.5), (16, 14), (20, 21), (24, 30), (28, 42), (31, 48),
            (34, 46), (40, 30), (46, 15), (52, 5), (58, 3), (71, 2.5)],
    "W02": [(0, 2), (14, 4), (20, 10), (26, 18), (30, 22), (36, 16), (44, 7), (52, 3), (71, 2)],
    "W03": [(0, 2), (18, 4), (26, 10), (32, 13), (40, 8), (48, 3), (71, 2)],
    "W04": [(0, 80), (10, 85), (20, 130), (28, 190), (34, 230), (42, 200), (50, 150),
            (58, 115), (64, 95), (71, 88)],
    "W05": [(0, 80), (12, 90), (24, 150), (34, 180), (44, 150), (54, 110), (64, 90), (71, 85)],
    "W06": [(0, 78), (12, 88), (24, 146), (34, 176), (44, 148), (54, 108), (64, 88), (71, 84)],
    "R01": [(0, 0.5), (6, 2), (12, 8), (18, 12), (22, 14), (28, 10), (34, 4), (38, 0.5),
            (40, 0), (71, 0)],
    "R02": [(0, 0.4), (6, 1.5), (12, 7), (18, 11), (22, 13), (28, 9), (34, 3), (38, 0.3),
            (40, 0), (71, 0)],
    "R03": [(0, 0.6), (6, 2.5), (12, 9), (18, 12), (22, 13), (28, 8), (34, 3), (38, 0.4),
            (40, 0), (71, 0)],
    "D01": [(0, 0.5), (20, 0.8), (34, 2.4), (71, 2.6)],  # the back hill creeps, below blue
    "D02": [(0, 0.5), (30, 1.1), (71, 1.2)],
    "D03": [(0, 0.5), (71, 0.6)],
}  # fmt: skip
NOISE = {"water_level": 0.2, "rain": 0.3, "displacement": 0.05}


@dataclass(frozen=True)
class CameraShot:
    step: int
    camera: str
    type: str
    confidence: float


CAMERA = [
    CameraShot(20, "C01", "water_on_road", 0.91),
    CameraShot(26, "C01", "vehicle_trapped", 0.94),
    CameraShot(28, "C01", "water_on_road", 0.93),
    CameraShot(30, "C03", "landslide", 0.55),  # below the rule's confidence: no alert
]


@dataclass(frozen=True)
class Act:
    """Something a person does at a step: ``what`` names the replay's handler."""

    step: int
    who: str  # a demo username
    what: str  # response | acknowledge | close (an alert) | task | start | finish (its task)
    target: str = ""  # a response level; or the alert: point:rule kind[:camera event type]
    text: str = ""
    task: str = ""  # the task's kind (task, start, finish)


STREET = "990102001000"  # 望湖街道: its response covers the village
ACTS = [
    Act(8, "street", "response", "IV", "台风将于今夜登陆，启动防台风Ⅳ级应急响应"),
    Act(14, "duty", "acknowledge", "culvert:threshold", "已通知巡查员关注涵洞水位"),
    Act(18, "street", "response", "II", "涵洞积水快速上涨，提升至Ⅱ级应急响应"),
    Act(19, "duty", "task", "culvert:threshold", "积水超过封路线，封闭主路涵洞段", "close_road"),
    Act(20, "duty", "start", "culvert:threshold", task="close_road"),
    Act(25, "duty", "acknowledge", "culvert:threshold", "已封路，消防救援到场待命"),
    Act(
        27, "duty", "task", "culvert:camera:vehicle_trapped", "涵洞内有车辆被困，派员救援", "patrol"
    ),
    Act(27, "duty", "start", "culvert:camera:vehicle_trapped", task="patrol"),
    Act(
        31,
        "duty",
        "finish",
        "culvert:camera:vehicle_trapped",
        "被困车辆已拖离，车内人员安全",
        "patrol",
    ),
    Act(31, "duty", "close", "culvert:camera:vehicle_trapped", "车辆已拖离"),
    Act(58, "duty", "finish", "culvert:threshold", "积水退至5厘米以下，涵洞恢复通行", "close_road"),
    Act(62, "street", "response", "none", "台风已过境，终止防台风应急响应"),
]


def value_at(course: list[tuple[int, float]], step: int) -> float:
    """The course's value at ``step``, on the straight line between its corners."""
    for (k0, v0), (k1, v1) in pairwise(course):
        if k0 <= step <= k1:
            return v0 + (v1 - v0) * (step - k0) / (k1 - k0)
    return course[-1][1]


def readings(code: str, kind: str, seed: int = DEFAULT_SEED) -> list[float]:
    """Gauge ``code``'s value at every step: its course with the seed's small noise."""
    rng = random.Random(f"typhoon-{seed}-{code}")
    out = []
    for step in range(STEPS):
        value = value_at(COURSES[code], step) + rng.gauss(0, NOISE[kind])
        out.append(round(max(0.0, value), 1))
    return out
