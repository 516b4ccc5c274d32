"""Permission-matrix rows for the dashboard area (governance/urls_dashboard.py).

The dashboard is the home page and keeps the URL name "home"; its row stays in
qip/tests/permission_matrix.MATRIX (anonymous: sign in; every signed-in persona: 200 on GET, 405 on POST),
so this module adds none. A second dashboard URL would get its row here.
"""

ROWS = {}


def kwargs(world):
    return {}
