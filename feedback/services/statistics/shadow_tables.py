"""Shadow tables: a table's empty copy to fill beside it, then put in its place in one short
transaction. The full rebuild of the statistics fills `stat_rollup` and `ticket_stat` this way
while readers keep reading the live ones.

The copy is made from the live table's definition in the database, not from the models: the
switch must give back the table the migrations made, keys, defaults, indexes and their names
included (PostgreSQL wants index names unique, so the copy's have names of their own until the
switch gives them the live ones).
"""

from __future__ import annotations

import re

from sqlalchemy import MetaData, Table, text

from feedback.extensions import db

_SUFFIX = "_next"

_TABLE_NAME = re.compile(r'CREATE TABLE\s+(?:"[^"]+"|[^\s(]+)')


def _shadow_name(name: str) -> str:
    return name + _SUFFIX


def make_shadow(name: str) -> Table:
    """An empty copy of the live table, in the caller's transaction; one left by a run that
    was killed is dropped first. Returns the copy, for statements (not DDL) against it."""
    shadow = _shadow_name(name)
    db.session.execute(text(f"DROP TABLE IF EXISTS {shadow}"))
    if _is_postgresql():
        db.session.execute(text(f"CREATE TABLE {shadow} (LIKE {name} INCLUDING ALL)"))
    else:
        # Its other indexes are made at the switch, under the live table's names.
        definition = db.session.scalars(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": name}
        ).one()
        db.session.execute(text(_TABLE_NAME.sub(f"CREATE TABLE {shadow}", definition, count=1)))
    return db.metadata.tables[name].to_metadata(MetaData(), name=shadow)


def analyze_shadow(name: str) -> None:
    """On PostgreSQL, the planner's statistics of the filled copy: a new table has none until
    autovacuum gets to it, and the dashboard's pages are slower without them (bench/README.md)."""
    if _is_postgresql():
        db.session.execute(text(f"ANALYZE {_shadow_name(name)}"))


def replace_with_shadow(name: str) -> None:
    """The live table dropped and its filled copy renamed in its place, in the caller's
    transaction: readers see the one or the other, whole."""
    shadow = _shadow_name(name)
    if _is_postgresql():
        live_indexes = {_signature(definition): index for index, definition in _postgresql_indexes(name)}
        db.session.execute(text(f"DROP TABLE {name}"))
        db.session.execute(text(f"ALTER TABLE {shadow} RENAME TO {name}"))
        for index, definition in _postgresql_indexes(name):
            db.session.execute(text(f"ALTER INDEX {index} RENAME TO {live_indexes[_signature(definition)]}"))
    else:
        # SQLite cannot rename an index: the live table's are made again on the copy.
        indexes = db.session.scalars(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :name AND sql IS NOT NULL"),
            {"name": name},
        ).all()
        db.session.execute(text(f"DROP TABLE {name}"))
        db.session.execute(text(f"ALTER TABLE {shadow} RENAME TO {name}"))
        for definition in indexes:
            db.session.execute(text(definition))


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _postgresql_indexes(table: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :table"),
        {"table": table},
    )
    return [(index, definition) for index, definition in rows]


def _signature(definition: str) -> tuple[bool, str]:
    # pg_get_indexdef's form: CREATE [UNIQUE] INDEX name ON schema.table USING method (columns) [WHERE ...]
    return definition.startswith("CREATE UNIQUE"), definition.partition(" USING ")[2]
