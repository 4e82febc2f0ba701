"""What access's services announce for its jobs (a service never imports a job).

Access has no such signal yet: its alerts go out through core's ``notify_region_later``,
whose own signal queues delivery; the device cache's receivers sit in ``services.devices``.
"""
