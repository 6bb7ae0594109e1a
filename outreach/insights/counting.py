"""One anonymous counter increment, safe when several processes count at once (insert or add)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session


def increment(executor: Connection | Session | scoped_session, table: Table, keys: dict[str, Any], column: str,
              amount: int = 1) -> None:
    """Add ``amount`` to ``table.column`` in the row identified by ``keys`` (a unique constraint), creating it."""
    dialect = executor.dialect.name if isinstance(executor, Connection) else executor.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**keys, **{column: amount}).on_conflict_do_update(
        index_elements=list(keys), set_={column: table.c[column] + amount})
    executor.execute(statement)
