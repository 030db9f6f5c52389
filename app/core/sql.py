"""SQL that SQLite and PostgreSQL spell differently, as constructs that compile to each one's spelling.

Lists aggregate a row's small children (a document's tags, a group's chairs) in the same statement as the row,
as a JSON array, so a page of 20 rows is one query rather than one per kind of child:

    select(Document.id, select(json_array_agg(DocumentTag.tag)).where(...).scalar_subquery())

The aggregate's order is not guaranteed on either database; callers sort what they read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_array_agg(FunctionElement[Any]):
    """Aggregate: a JSON array of one value (a column, or a `json_object_of`) per row; read back as a list.

    Over no rows SQLite gives `[]` and PostgreSQL NULL: read it with `or []`."""

    type = JSON()
    inherit_cache = True
    name = "json_array_agg"


class json_object_of(FunctionElement[Any]):
    """A JSON object of named columns: `json_object_of(id=User.id, name=User.display_name)`."""

    type = JSON()
    inherit_cache = True
    name = "json_object_of"

    def __init__(self, **columns: ColumnElement[Any] | Any) -> None:
        arguments: list[Any] = []
        for key, column in columns.items():
            if not key.isidentifier():  # keys are written into the SQL text
                raise ValueError(f"json_object_of: {key!r} is not a plain name")
            arguments += [literal_column(f"'{key}'"), column]
        super().__init__(*arguments)


@compiles(json_array_agg, "sqlite")
def _sqlite_array(element: json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_array_agg, "postgresql")
def _postgresql_array(element: json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_object_of, "sqlite")
def _sqlite_object(element: json_object_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object_of, "postgresql")
def _postgresql_object(element: json_object_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"
