"""Flood and typhoon watch (防台防汛, R3): monitoring points, gauges, readings, alerts."""
