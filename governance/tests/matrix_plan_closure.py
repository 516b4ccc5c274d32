"""Permission-matrix rows for the plan closure screens."""

ROWS = {}
