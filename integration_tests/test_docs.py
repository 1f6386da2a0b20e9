"""The user-facing pages: README.md stays a short entry point, every relative link between the pages lands on a
file (and on a heading, where it names one), every page is reachable from the README, and no page sends a reader
to an issue tracker entry by number ("issue 10") that means nothing to them.

Anchors follow GitHub's rule for heading ids: lower case, punctuation other than `-` and `_` dropped, spaces turned
into `-`, and `-1`, `-2`, … appended to repeats.
"""
import re
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

from integration_tests import REPO_ROOT


README = REPO_ROOT / "README.md"
PAGES = [README, REPO_ROOT / "CHANGELOG.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 260

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
ISSUE_NUMBER = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)


def prose_lines(text: str) -> Iterator[str]:
    """The lines outside fenced code blocks: a `#` comment in a shell block is no heading."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def anchors(page: Path) -> Set[str]:
    seen: Set[str] = set()
    for line in prose_lines(page.read_text()):
        match = HEADING.match(line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(2).lower()).replace(" ", "-")
        anchor, repeat = slug, 0
        while anchor in seen:
            repeat += 1
            anchor = f"{slug}-{repeat}"
        seen.add(anchor)
    return seen


def relative_links(page: Path) -> List[str]:
    return [
        target
        for line in prose_lines(page.read_text())
        for target in LINK.findall(line)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)
    ]


def broken_links(page: Path) -> List[Tuple[str, str]]:
    """(link, what is wrong) for every relative link of the page that lands nowhere."""
    broken = []
    for link in relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append((link, "no such file"))
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append((link, f"no heading '#{anchor}' in {target.name}"))
    return broken


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(REPO_ROOT)) for page in PAGES])
def test_every_relative_link_lands_on_a_file_and_heading(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(REPO_ROOT)) for page in PAGES])
def test_no_page_names_an_issue_number(page):
    assert ISSUE_NUMBER.findall(page.read_text()) == []


def test_the_readme_stays_short():
    lines = len(README.read_text().splitlines())

    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move the detail into docs/"


def test_every_page_is_linked_from_the_readme():
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in relative_links(README)}

    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []
    assert len(PAGES) > 2, "docs/ holds the pages the README links to"


# -- controls: the checks above catch what they are meant to catch ---------------------------------------------------


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Set-up: two `make` commands\n\n## Notes\n\n## Notes\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## Local\n\n"
        "[ok](other.md#set-up-two-make-commands) [ok](other.md#notes-1) [ok](#local) [ok](https://example.com/x)\n"
        "[file](missing.md) [heading](other.md#nowhere) [repeat](other.md#notes-2) [here](#elsewhere)\n"
        "```sh\n# not a heading\n[in code](missing-too.md)\n```\n"
    )

    assert broken_links(page) == [
        ("missing.md", "no such file"),
        ("other.md#nowhere", "no heading '#nowhere' in other.md"),
        ("other.md#notes-2", "no heading '#notes-2' in other.md"),
        ("#elsewhere", "no heading '#elsewhere' in page.md"),
    ]
    assert "not-a-heading" not in anchors(page)


@pytest.mark.parametrize("text", ["see issue 10", "Issue #12 says", "issues 3 and 4"])
def test_the_issue_check_finds_an_issue_number(text):
    assert ISSUE_NUMBER.findall(text)


@pytest.mark.parametrize("text", ["any issued access token", "if you encounter issues, report them", "issue-free"])
def test_the_issue_check_leaves_other_uses_of_the_word(text):
    assert ISSUE_NUMBER.findall(text) == []
