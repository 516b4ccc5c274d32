"""Permission-matrix rows for the reviews screens."""

ROWS = {}
