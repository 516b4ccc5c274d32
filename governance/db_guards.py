"""The database's own refusal to close an action without its approved sign-off.

The CheckConstraint on Action only asks for *a* sign-off; these triggers check it
is an approved sign-off of a closure request for that same action, so neither a
queryset update nor raw SQL can close an action any other way.
"""

CLOSED_CHECK = """NEW.status = 'closed' AND NOT EXISTS (
    SELECT 1 FROM governance_signoff s
    JOIN governance_closurerequest r ON r.id = s.closure_request_id
    WHERE s.id = NEW.closing_signoff_id AND s.decision = 'approved' AND r.action_id = NEW.id)"""

MESSAGE = "an action is closed only by its own approved sign-off"


def _sql(vendor):
    if vendor == "sqlite":
        return [
            f"""CREATE TRIGGER IF NOT EXISTS action_close_needs_signoff_update
            BEFORE UPDATE ON actions_action WHEN {CLOSED_CHECK}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
            f"""CREATE TRIGGER IF NOT EXISTS action_close_needs_signoff_insert
            BEFORE INSERT ON actions_action WHEN {CLOSED_CHECK}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        ]
    if vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION qip_action_close_needs_signoff() RETURNS trigger AS $$
            BEGIN
                IF {CLOSED_CHECK} THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql""",
            """CREATE OR REPLACE TRIGGER action_close_needs_signoff BEFORE INSERT OR UPDATE ON actions_action
            FOR EACH ROW EXECUTE FUNCTION qip_action_close_needs_signoff()""",
        ]
    raise RuntimeError(f"No closure guard for the {vendor} database")


def install(connection):
    with connection.cursor() as cursor:
        for statement in _sql(connection.vendor):
            cursor.execute(statement)


def remove(connection):
    statements = {
        "sqlite": [
            "DROP TRIGGER IF EXISTS action_close_needs_signoff_update",
            "DROP TRIGGER IF EXISTS action_close_needs_signoff_insert",
        ],
        "postgresql": ["DROP TRIGGER IF EXISTS action_close_needs_signoff ON actions_action"],
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
