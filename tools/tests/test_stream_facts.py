"""Stream facts come from the manifest, in one place (tools/stream_facts.py): no Python file restates a list of
streams by hand. The emulator is left out: its endpoint table is Personio's definition, not ours."""
import ast
import dataclasses
from pathlib import Path
from typing import Iterator, List, Tuple

from tools.personio_emulator import EmulatorSettings
from tools.stream_facts import FACTS, REPO_ROOT

SEARCHED = ("unit_tests", "integration_tests", "tools")
LEFT_OUT = (REPO_ROOT / "tools" / "personio_emulator",)
# A list is a named one: a module or class constant holding two or more stream names (a tuple, list or set of
# them, or a dictionary keyed by them: keys, cursors, scopes). A test or fault row that picks the streams of its
# scenario in place (`streams=("persons", "employments")`) names no list. The emulator's company sizes are
# settings named after its endpoints, not a stream list.
AT_LEAST = 2
EMULATOR_SETTINGS = {f.name for f in dataclasses.fields(EmulatorSettings)}


def python_files() -> Iterator[Path]:
    for folder in SEARCHED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if not any(left_out in path.parents for left_out in LEFT_OUT):
                yield path


def stream_names(nodes) -> List[str]:
    return [node.value for node in nodes if isinstance(node, ast.Constant) and node.value in FACTS]


def constants(tree: ast.Module) -> Iterator[ast.AST]:
    """The values assigned at module level and in class bodies."""
    bodies = [tree.body] + [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for body in bodies:
        for statement in body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                yield statement.value


def literals(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node`, but not a call's keyword arguments (a row picking its streams in place)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.keyword):
            yield from literals(child)


def hand_written_lists(source: str) -> List[Tuple[int, List[str]]]:
    found = []
    for value in constants(ast.parse(source)):
        for node in literals(value):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                names = stream_names(node.elts)
            elif isinstance(node, ast.Dict):
                names = stream_names([key for key in node.keys if key is not None])
                names = [] if set(names) <= EMULATOR_SETTINGS else names
            else:
                continue
            if len(names) >= AT_LEAST:
                found.append((node.lineno, names))
    return found


def test_no_python_file_names_a_list_of_streams_by_hand():
    found = [f"{path.relative_to(REPO_ROOT)}:{line}: {names}" for path in python_files()
             for line, names in hand_written_lists(path.read_text())]
    assert not found, "take these from tools.stream_facts instead:\n" + "\n".join(found)


def test_the_check_finds_a_hand_written_list_and_lets_a_pair_pass():
    assert hand_written_lists('STREAMS = ("persons", "absence_periods", "attendance_periods")')
    assert hand_written_lists('KEYS = {"compensations": ("id", "month"), "org_units": ("type", "id")}')
    assert hand_written_lists('class T:\n    BOTH = ["persons", "employments"]')
    assert not hand_written_lists('read(streams=("persons", "employments", "workplaces"))')
    assert not hand_written_lists('ROWS = [Row("a", streams=("persons", "employments", "workplaces"))]')
    assert not hand_written_lists('COMPANY = {"persons": 50, "absence_periods": 300, "attendance_periods": 900}')
