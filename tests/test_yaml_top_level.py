"""A YAML document's top-level values read from its event stream (``yamlfile.top_level``)
are what loading the whole document gives, and the playbook index built on it offers the
same versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transition.errors import ValidationFailed
from transition.services import playbook_versions
from transition.yamlfile import NotPlain, parse_yaml_text, top_level

KEYS = frozenset({"name", "version"})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2", "0x1f", "1_000", "0o17", "yes", "~", "2026-02-03", "1e3", "-.inf"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "version", "a", "b"]), inner, max_size=3)
    ),
    max_leaves=8,
)
documents = st.dictionaries(st.sampled_from(["name", "version", "title", "phases", "x"]), values)


def _full(text: str):
    try:
        data, _ = parse_yaml_text(text, "doc.yaml")
    except ValidationFailed:
        return ValidationFailed
    return {k: data[k] for k in KEYS if k in data} if isinstance(data, dict) else None


def _head(text: str):
    try:
        return top_level(text, KEYS)
    except ValidationFailed:
        return ValidationFailed


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=documents,
    style=st.sampled_from([None, "'", '"', "|"]),
    flow=st.sampled_from([None, True, False]),
)
def test_plain_documents_read_as_loading_them_reads(doc, style, flow) -> None:
    text = yaml.safe_dump(doc, default_style=style, default_flow_style=flow, allow_unicode=True)
    try:
        head = _head(text)
    except NotPlain:
        # Only a collection, or a value the dumper tagged (quoted styles tag non-strings).
        assert any(isinstance(doc.get(k), list | dict) for k in KEYS) or "!!" in text
        return
    assert head == _full(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: a\nversion: 3\nphases: [1, 2]\n", {"name": "a", "version": 3}),
        ("version: 0x10\nname: 'b'\n", {"name": "b", "version": 16}),
        ('name: "x"\nversion: "3"\n', {"name": "x", "version": "3"}),
        ("name: 2026-02-03\n", {"name": dt.date(2026, 2, 3)}),
        ("title: t\n", {}),
        ("{name: a, nested: {version: 9}}\n", {"name": "a"}),
        ("? [complex, key]\n: 1\nname: a\n", None),  # refused whole: a list as a key
        ("- name: a\n", None),
        ("just text\n", None),
        ("", None),
        ("&top name: a\nversion: 2\n", {"name": "a", "version": 2}),
    ],
)
def test_examples(text: str, expected) -> None:
    if expected is None and text.startswith("?"):
        assert _full(text) is ValidationFailed  # the loader refuses a list as a key
        return
    assert _head(text) == expected
    assert _full(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "base: &v 4\nname: a\nversion: *v\n",  # an alias as the value
        "name: a\nversion: !!str 4\n",  # an explicit tag
        "name: a\nname: b\n",  # twice
        "defaults: &d {version: 5}\n<<: *d\nname: a\n",  # a merge may bring it in
        "*k : 1\n",
        "name: a\nversion: [1]\n",
        "name: a\n---\nname: b\n",  # a second document
        "name: a\nversion: 2026-02-30\n",  # not a date
    ],
)
def test_what_it_cannot_tell_alone_is_left_to_the_loader(text: str) -> None:
    with pytest.raises(NotPlain):
        top_level(text, KEYS)


def test_invalid_yaml_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        top_level("name: [unclosed\n", KEYS)
    deep = "x: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(ValidationFailed, match="nesting deeper"):
        top_level(deep, KEYS)


def _write(folder: Path, stem: str, text: str) -> None:
    (folder / f"{stem}.yaml").write_text(text, encoding="utf-8")


def test_the_index_offers_each_playbooks_highest_version(tmp_path: Path, setting) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    shipped = playbook_versions.latest()["managed-service-onboarding"].version
    _write(folder, "mine", f"name: managed-service-onboarding\nversion: {shipped + 1}\n")
    _write(folder, "merged", "d: &d {version: 7}\n<<: *d\nname: merged-book\n")
    _write(folder, "aliased", "v: &v 3\nname: aliased-book\nversion: *v\n")
    _write(folder, "broken", "name: broken-book\nversion: [2\n")
    _write(folder, "no-version", "name: plain-book\nphases: []\n")
    _write(folder, "bool", "name: bool-book\nversion: true\n")
    setting("TRANSITION_PLAYBOOKS", str(folder))

    index = playbook_versions.latest()
    assert index["managed-service-onboarding"].version == shipped + 1
    assert index["managed-service-onboarding"].path == folder / "mine.yaml"
    assert index["merged-book"].version == 7
    assert index["aliased-book"].version == 3
    assert index["plain-book"].version == 1
    assert "broken-book" not in index
    assert "bool-book" not in index
