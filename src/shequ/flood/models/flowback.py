"""How far the flood watch's data has flowed back to the hub."""

from __future__ import annotations

from django.db import models


class FlowbackMark(models.Model):
    """A hub dataset the flood watch publishes, and the time up to which it is published."""

    key = models.CharField(max_length=64, primary_key=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} until {self.until}"
