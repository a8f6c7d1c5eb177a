"""Metrics (Prometheus), traces (OpenTelemetry) and structured logs, built by entry points."""
