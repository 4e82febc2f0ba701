"""OGC SensorThings API 1.1 (a subset) at ``/sta/v1.1/``, mapped onto the flood watch's model.

Things are monitoring points, Locations their WGS-84 place (one per point, same id), Sensors
and ObservedProperties the device kinds (1 water level, 2 rain, 3 displacement), Datastreams
the gauges (a device's series; cameras are not Datastreams) and Observations the readings.

- ``paths``: the resource path (``Things(1)/Datastreams``) as segments;
- ``options``: ``$top $skip $orderby $count $select $expand`` and ``$filter`` (``filters``);
- ``entities``: each entity set, its navigation, what it shows and what may be filtered;
- ``read``: answering a GET; ``write``: reading Observations and ``CreateObservations`` bodies;
- ``views`` and ``urls``: the HTTP face (authentication; writes go through
  ``shequ.flood.services.ingest`` like any HTTP or MQTT reading).

What is not supported answers 400 naming it; see docs/flood.md.
"""
