"""The one router of the parking endpoints."""

from ninja import Router

# One router for every parking module: ninja serves the methods of one path from one router
# (GET /passes for staff and POST /passes for residents live in different modules).
router = Router(tags=["parking"])
