"""Statements that every page runs, written as SQL, and read back as the ORM would read them.

The ORM takes 0.5-3 ms of Python to build a query that PostgreSQL answers in under 0.1 ms (make
bench; README, Performance). Where a page runs such a query on every request it is written out,
and each column still goes through its field's converters, so that values come back as the ORM
gives them on either database (SQLite keeps a datetime as text, a boolean as 0 or 1).
"""

from collections.abc import Callable, Iterable
from functools import cache

from django.db.models import Field, Model


def converter(field: Field, table_alias: str, connection) -> Callable:
    """What the ORM does to this field's column as it reads it (SQLCompiler.get_converters)."""
    column = field.get_col(table_alias)
    steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)

    def convert(value):
        for step in steps:
            value = step(value, column, connection)
        return value

    return convert


def converters(connection, columns: Iterable[tuple[Field, str]]) -> list[Callable]:
    """One converter per (field, table alias) column of a statement, in its order."""
    return [converter(field, table_alias, connection) for field, table_alias in columns]


def convert_row(row, row_converters: list[Callable]) -> list:
    return [convert(value) for convert, value in zip(row_converters, row, strict=True)]


# Whole rows of a model ------------------------------------------------------------------------


@cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The names Model.from_db takes the columns by, in select_columns' order."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def select_columns(model: type[Model], table_alias: str, connection) -> list[str]:
    """Every column of the model, as the ORM reads a whole row."""
    quote = connection.ops.quote_name
    return [f"{table_alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


def model_converters(model: type[Model], table_alias: str, connection) -> list[Callable]:
    fields = model._meta.concrete_fields
    return converters(connection, ((field, table_alias) for field in fields))
