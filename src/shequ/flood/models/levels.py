"""Warning levels (预警等级): blue, yellow, orange, red."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """Blue 一般, yellow 较重, orange 严重, red 特别严重; 0 is no warning."""

    NONE = 0, _("No warning")
    BLUE = 1, _("Blue (general)")
    YELLOW = 2, _("Yellow (serious)")
    ORANGE = 3, _("Orange (severe)")
    RED = 4, _("Red (extremely severe)")


LEVEL_NAMES = {0: "none", 1: "blue", 2: "yellow", 3: "orange", 4: "red"}
