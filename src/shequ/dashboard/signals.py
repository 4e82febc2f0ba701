"""What the dashboards' services announce for their jobs: nothing yet (the refresh is periodic)."""
