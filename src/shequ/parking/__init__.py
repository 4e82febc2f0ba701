"""Shared off-peak parking (错峰停车, R2): garages, passes, payments, gates, occupancy."""
