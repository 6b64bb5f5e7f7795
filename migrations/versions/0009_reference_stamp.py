"""reference data stamp: any change to subjects, areas, departments, routing rules, deadline
policies or the calendar gives it a new random value, so that each process knows its cached copy
is stale (feedback/services/reference.py)

Triggers, not application code, so that no way of writing (a service, a command, SQL typed by an
operator) can forget it. On SQLite, a batch migration that rebuilds one of these tables drops its
triggers: create them again there (tests/feedback/test_reference_cache.py checks they exist).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ('category', 'area', 'department', 'routing_rule', 'deadline_policy', 'calendar_exception')


def upgrade():
    op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_version')),
    )
    op.execute("INSERT INTO reference_version (id, stamp) VALUES (1, 1)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE reference_version SET stamp = floor(random() * 9e18)::bigint; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()"
            )
    else:
        for table in TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(
                    f"CREATE TRIGGER {table}_{change.lower()}d AFTER {change} ON {table} "
                    "BEGIN UPDATE reference_version SET stamp = random(); END"
                )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION bump_reference_version()")
    else:
        for table in TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(f"DROP TRIGGER {table}_{change.lower()}d")
    op.drop_table('reference_version')
