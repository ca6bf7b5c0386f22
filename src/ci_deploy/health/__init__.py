"""Health checks of a live deployment: what to check (spec), one request (probe), and the
retried, measured checks (checks)."""
