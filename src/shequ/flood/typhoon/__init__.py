"""The demo's typhoon scenario: ``plan`` (what happens), ``replay`` (through the services)."""
