"""The synced records in a local DuckDB database, and the answers of the queries in tools/demo/analytics.sql.

    import duckdb
    from tools.demo.analytics import answer, load_tables, queries, table_lines
    connection = duckdb.connect("output/personio.duckdb")
    load_tables(connection, {"employments": [...], "org_units": [...], ...}, schemas)   # records per stream
    for query in queries():
        columns, rows = answer(connection, query)
        print("\n".join(table_lines(columns, rows)))

Each stream becomes a table of its name with one column per property of its schema (as discover returns it)
plus any other top-level field the records carry: objects and arrays as JSON columns, ids and other values
that may come as text or number as text, numbers, integers and booleans typed. The records are loaded as
given: deduplicate them first (the demo keeps the latest record per primary key, as an "append + deduped"
destination does).

`python -m tools.demo.analytics [DB]` prints the answers for a DuckDB file (default output/personio.duckdb).
"""
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

SQL_FILE = Path(__file__).with_name("analytics.sql")
DEFAULT_DATABASE = Path("output") / "personio.duckdb"

_SCALARS = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    sql: str


def queries(path: Path = SQL_FILE) -> List[Query]:
    """The queries of the SQL file, in order: each from its `-- name:` line to the next one."""
    found = []
    for block in re.split(r"^(?=-- name: )", path.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        name = re.match(r"-- name: *(\S+)", block).group(1)
        title_match = re.search(r"^-- title: *(.+)$", block, flags=re.MULTILINE)
        found.append(Query(name, title_match.group(1).strip() if title_match else name, block.strip()))
    return found


def query(name: str) -> Query:
    for candidate in queries():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def column_type(schema: Optional[Mapping[str, Any]]) -> str:
    """The DuckDB type of a column whose JSON schema is `schema`."""
    declared = (schema or {}).get("type")
    kinds = {declared} if isinstance(declared, str) else set(declared or ())
    kinds.discard("null")
    if not kinds or kinds & {"object", "array"}:
        return "JSON"  # nested, or of no fixed type (a custom attribute's value)
    if len(kinds) == 1:
        return _SCALARS.get(kinds.pop(), "VARCHAR")
    if kinds <= {"integer", "number"}:
        return "DOUBLE"
    return "VARCHAR"  # string or integer (ids): text, as joins need


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(schema: Optional[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> Dict[str, str]:
    """Column name -> DuckDB type: the schema's properties, then fields only the records have (as JSON)."""
    columns = {name: column_type(prop) for name, prop in ((schema or {}).get("properties") or {}).items()}
    for record in records:
        for name in record:
            if name not in columns:
                columns[name] = "JSON"
    return columns


def load_table(connection, table: str, records: Sequence[Mapping[str, Any]],
               schema: Optional[Mapping[str, Any]] = None) -> int:
    """(Re)create `table` holding `records`; returns how many rows it has."""
    columns = table_columns(schema, records)
    if not columns:
        columns = {"id": "VARCHAR"}
    connection.execute(f"DROP TABLE IF EXISTS {_quoted(table)}")
    connection.execute(f"CREATE TABLE {_quoted(table)} ("
                       + ", ".join(f"{_quoted(name)} {kind}" for name, kind in columns.items()) + ")")
    if records:
        with tempfile.TemporaryDirectory(prefix="personio-duckdb-") as workdir:
            path = Path(workdir) / f"{table}.jsonl"
            with open(path, "w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            spec = "{" + ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': '{kind}'"
                                   for name, kind in columns.items()) + "}"
            connection.execute(
                f"INSERT INTO {_quoted(table)} BY NAME SELECT * FROM read_json(?, format = 'newline_delimited', "
                f"columns = {spec}, maximum_object_size = 16777216)",
                [str(path)],
            )
    return connection.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0]


def load_tables(connection, records: Mapping[str, Iterable[Mapping[str, Any]]],
                schemas: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Dict[str, int]:
    """A table per stream; returns the row count of each."""
    schemas = schemas or {}
    return {stream: load_table(connection, stream, list(rows), schemas.get(stream)) for stream, rows in records.items()}


def catalog_schemas(catalog: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    """Each stream's JSON schema, from a discovered or configured catalog."""
    streams = catalog.get("streams", [])
    return {(entry.get("stream") or entry)["name"]: (entry.get("stream") or entry).get("json_schema") or {}
            for entry in streams}


def answer(connection, query: Query) -> Tuple[List[str], List[tuple]]:
    """The column names and rows of a query's answer."""
    cursor = connection.execute(query.sql)
    return [column[0] for column in cursor.description], cursor.fetchall()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def table_lines(columns: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> List[str]:
    """A small text table; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
               for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return indent + "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)).rstrip()

    out = [line(columns), indent + "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    if not rows:
        out.append(indent + "(no rows)")
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    database = Path(argv[0]) if argv else DEFAULT_DATABASE
    if not database.exists():
        print(f"{database} does not exist: run `make demo` first, or name a DuckDB file")
        return 2
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        for each in queries():
            columns, rows = answer(connection, each)
            print(each.title)
            print("\n".join(table_lines(columns, rows)))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
