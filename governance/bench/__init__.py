"""`python manage.py bench`: server time and queries of the busy pages, one gate evaluation, every
sweep and a 100-page pack, measured in one run against a seed_scale organisation (issue 9).

pages.py times the pages through Django's full middleware stack in-process; gate.py builds the
gate's worst case; work.py runs the sweeps and the pack; report.py prints the table and the JSON.
"""
