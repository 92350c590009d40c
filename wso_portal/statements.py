"""Statements that every page runs, written as SQL, and read back as the ORM would read them.

The ORM takes 0.5-3 ms of Python to build a query that PostgreSQL answers in under 0.1 ms (make
bench; docs/performance.md). Where a page runs such a query on every request it is written out,
and each column still goes through its field's converters, so that values come back as the ORM
gives them on either database (SQLite keeps a datetime as text, a boolean as 0 or 1).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.db import connections
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


# A LIMIT, or a ROW_NUMBER() bound, that no count reaches: "all of them" as a parameter, so that
# the statement's text stays the same with or without a bound.
NO_LIMIT = 2**31 - 1


def placeholders(values) -> str:
    """One %s per value, for an IN list."""
    return ", ".join(["%s"] * len(values))


# psycopg parses a statement of more parameters than this again on every execution (its
# MAX_CACHED_STATEMENT_PARAMS); below it, the parsed form is cached.
PARSED_ONCE_PARAMETERS = 50


def as_array(connection, parameter_count: int) -> bool:
    """Whether a statement's values go as arrays rather than one placeholder each: on
    PostgreSQL, past PARSED_ONCE_PARAMETERS. Below that an IN list is the faster of the two,
    since PostgreSQL plans an array's statement again on each execution (0.13 ms here)."""
    return connection.vendor == "postgresql" and parameter_count > PARSED_ONCE_PARAMETERS


def one_of(connection, values: list, *, alongside: int = 0) -> tuple[str, list]:
    """`column <this>` tests that the column is one of `values`; the test and its parameters:
    `= ANY(%s)` with one array where as_array() says so for the statement (which has
    `alongside` other parameters), else an IN list."""
    if as_array(connection, len(values) + alongside):
        return "= ANY(%s)", [values]
    return f"IN ({placeholders(values)})", values


def convert_row(row, row_converters: Iterable[Callable]) -> list:
    return [convert(value) for convert, value in zip(row_converters, row, strict=True)]


# Whole rows of a model ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRows:
    """How a statement reads whole rows of a model under a table alias: its column list for the
    SELECT, how many columns that is, and the instance built from them as the ORM builds it."""

    model: type[Model]
    alias: str  # the database's
    columns: str
    width: int
    attnames: tuple[str, ...]
    converters: tuple[Callable, ...]

    def build(self, values) -> Model:
        """The instance from this model's columns of a row (the first `width` of `values`)."""
        converted = convert_row(values[: self.width], self.converters)
        return self.model.from_db(self.alias, self.attnames, converted)


@cache
def model_rows(model: type[Model], table_alias: str, alias: str) -> ModelRows:
    connection = connections[alias]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    return ModelRows(
        model=model,
        alias=alias,
        columns=", ".join(f"{table_alias}.{quote(field.column)}" for field in fields),
        width=len(fields),
        attnames=tuple(field.attname for field in fields),
        converters=tuple(converters(connection, ((field, table_alias) for field in fields))),
    )
