"""The error statuses each kind of parking route declares, in the API's one error shape
(``shequ.core.schemas.Error``)."""

from shequ.core.schemas import Error

# The statuses each kind of route can answer with an Error. A route reading the caller's own
# things can be refused (401, 403), miss (404) and get bad parameters (422); a write can also
# find the state changed (409) or get a body that cannot be read (400) or is too large (413).
READ = frozenset({401, 403, 404, 422})
WRITE = READ | {400, 409, 413}
PUBLIC_READ = frozenset({404, 422})
PUBLIC_WRITE = frozenset({400, 404, 409, 413, 422})


def errors(statuses: frozenset[int], *more: int) -> dict[frozenset[int], type[Error]]:
    """The ``response=`` entry for a route's error answers."""
    return {statuses | set(more): Error}
