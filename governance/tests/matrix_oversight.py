"""Permission-matrix rows for the oversight screens."""

ROWS = {}
