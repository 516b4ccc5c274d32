"""Database triggers that make tables append-only, on SQLite and PostgreSQL.

The audit log is guarded from its first migration; apps add tables whose rows
are records of decisions (signatures) with `register()` in their AppConfig, and
install the triggers in a migration with `install_table()`.
"""

APPEND_ONLY_TABLES = ["qip_auditevent"]

# Names used before guards were per table; dropped by remove() so old databases flush cleanly.
LEGACY_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_no_change ON qip_auditevent",
        "DROP TRIGGER IF EXISTS audit_no_truncate ON qip_auditevent",
    ],
}


def register(table):
    if table not in APPEND_ONLY_TABLES:
        APPEND_ONLY_TABLES.append(table)


def _install_sql(vendor, table):
    if vendor == "sqlite":
        return [
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
        ]
    if vendor == "postgresql":
        return [
            """CREATE OR REPLACE FUNCTION qip_append_only_refuse() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql""",
            f"""CREATE OR REPLACE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION qip_append_only_refuse()""",
            f"""CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION qip_append_only_refuse()""",
        ]
    raise RuntimeError(f"No append-only guard for the {vendor} database")


def _remove_sql(vendor, table):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def _run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _existing(connection):
    return set(connection.introspection.table_names())


def install_table(connection, table):
    _run(connection, _install_sql(connection.vendor, table))


def remove_table(connection, table):
    _run(connection, _remove_sql(connection.vendor, table))


def install(connection):
    existing = _existing(connection)
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            install_table(connection, table)


def remove(connection):
    existing = _existing(connection)
    statements = list(LEGACY_TRIGGERS.get(connection.vendor, []))
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            statements += _remove_sql(connection.vendor, table)
    _run(connection, statements)
