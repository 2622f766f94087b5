"""Running the service: background work, business hours, auto-resolve, satisfaction, emails,
reports and data rights (docs/operations.md)."""
