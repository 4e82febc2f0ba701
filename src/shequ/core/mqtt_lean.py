"""paho's decoding of a received PUBLISH's MQTT 5 properties, without its per-message tables.

paho reads the properties of every message it receives into a new ``Properties``, whose
constructor builds its tables of property names and kinds (two dictionaries, some thirty
list look-ups), and whose ``unpack`` first clears every property name by name. Nothing in
them changes from one message to the next: in the flood ingester that was a fifth of its
CPU for one-reading messages (py-spy, ``bench/flood.py``). ``install`` has paho's PUBLISH
decoder make ``PublishProperties`` instead: the same class and attributes (a handler sees
``msg.properties`` as before), its tables built once and shared.

paho's own packet module names the class it makes; where a later paho stops doing so,
``install`` leaves it alone and paho decodes as it always did.
"""

from __future__ import annotations

from typing import Any

from paho.mqtt import _packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

_OWN = ("packetType", "types", "names", "properties")


class PublishProperties(Properties):  # type: ignore[misc]  # paho's class is untyped
    """A received PUBLISH's properties; the name and kind tables are paho's, built once."""

    _tables: tuple[Any, Any, Any] | None = None

    def __init__(self, packetType: int) -> None:  # paho's parameter name
        tables = PublishProperties._tables
        if tables is None:
            model = Properties(PacketTypes.PUBLISH)
            tables = PublishProperties._tables = (model.types, model.names, model.properties)
        object.__setattr__(self, "packetType", packetType)
        for name, table in zip(_OWN[1:], tables, strict=True):
            object.__setattr__(self, name, table)

    def clear(self) -> None:
        """Remove the properties read (paho tries every property name)."""
        for name in [n for n in vars(self) if n not in _OWN]:
            delattr(self, name)


def install() -> bool:
    """Have paho decode received PUBLISH properties into ``PublishProperties``; whether it
    could (the module paho decodes them in still names ``Properties``)."""
    if getattr(_packet, "Properties", None) not in (Properties, PublishProperties):
        return False
    _packet.Properties = PublishProperties  # type: ignore[misc]  # paho's module global
    return True
