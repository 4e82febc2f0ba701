"""A read-only CKAN-compatible Action API over the hub, and its DCAT-AP catalogue export.

``/api/3/action/<name>`` (and ``/api/action/<name>``, where ``ckanapi`` calls) answers the
catalogue actions of CKAN's Action API (``package_list``, ``package_show``, ``package_search``,
``organization_list``, ``group_list``, ``resource_show``) and ``datastore_search``, which reads a
dataset's rows through the governed query engine: grants, masking, row scope, limits and audit
apply exactly as in the SQL console. ``/catalog.jsonld`` is the public catalogue in DCAT-AP.

Mapping: a hub category is a CKAN group; the owning department (数源部门) is an organization; a
dataset is a package whose one resource is its current Delta version (resource id = dataset key).
"""
