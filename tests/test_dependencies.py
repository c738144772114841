"""The dependency map: edges between systems, cycles refused naming the cycle, duplicates
refused by the database too, the map as text, DOT and escaped SVG, the cutover order
(each system after the systems it depends on, by name where free), and KT flagged while
a system depended on has no KT signed off."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.safety import dump
from transition.errors import Refused
from transition.map_render import render_svg, render_text
from transition.models import SystemDependency
from transition.services import dependencies, systems
from transition.services.common import get_engagement
from transition.services.views.raid import SystemMap

ENG = "acme-helpdesk"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_depends_map_and_the_cycle_refused(cli, acme, db_url):
    for name in ("Active Directory", "SAP ERP", "Data <Warehouse>"):
        ok(cli("system", "add", ENG, name))
    said = ok(
        cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory", "--kind", "auth")
    )
    assert said.stdout == "SAP ERP depends on Active Directory (auth)\n"
    ok(cli("system", "depends", ENG, "Data <Warehouse>", "--on", "SAP ERP"))
    before = dump(db_url)
    cycle = cli("system", "depends", ENG, "Active Directory", "--on", "Data <Warehouse>")
    assert cycle.exit_code == 1
    assert cycle.stderr == (
        "error: a dependency cycle would form: "
        "Active Directory → Data <Warehouse> → SAP ERP → Active Directory\n"
    )
    for args, code, message in [
        (("SAP ERP", "--on", "Active Directory"), 1, "already depends on Active Directory"),
        (("SAP ERP", "--on", "SAP ERP"), 1, "cannot depend on itself"),
        (("SAP ERP", "--on", "Nowhere"), 2, "unknown system 'Nowhere'"),
        (("SAP ERP", "--on", "Active Directory", "--kind", "magic"), 2, "invalid kind"),
        (("Active Directory", "--on", "SAP ERP", "--remove"), 1, "does not depend"),
    ]:
        result = cli("system", "depends", ENG, *args)
        assert result.exit_code == code, args
        assert result.stderr.startswith("error: ") and message in result.stderr, args
        assert len(result.stderr.splitlines()) == 1
    assert dump(db_url) == before
    text = ok(cli("system", "map", ENG)).stdout
    assert text.splitlines()[:4] == [
        "layer 0",
        "  Active Directory → nothing",
        "layer 1",
        "  SAP ERP → Active Directory (auth)",
    ]
    assert "! KT flagged: no KT signed off for SAP ERP" in text
    assert text.splitlines()[-4:] == [
        "cutover order",
        "  1. Active Directory",
        "  2. SAP ERP",
        "  3. Data <Warehouse>",
    ]
    dot = ok(cli("system", "map", ENG, "--format", "dot")).stdout
    assert '"SAP ERP" -> "Active Directory" [label="auth"];' in dot
    svg = ok(cli("system", "map", ENG, "--format", "svg")).stdout
    root = ElementTree.fromstring(svg)
    assert "Data &lt;Warehouse&gt;" in svg and "<Warehouse>" not in svg
    assert len(root.findall("{http://www.w3.org/2000/svg}line")) == 2
    assert cli("system", "map", ENG, "--format", "png").exit_code == 2
    assert (
        "KT flagged: SAP ERP depends on Active Directory" in ok(cli("kt", "coverage", ENG)).stdout
    )
    assert "KT flagged: Data <Warehouse>" in ok(cli("system", "list", ENG)).stdout
    ok(cli("system", "depends", ENG, "SAP ERP", "--on", "Active Directory", "--remove"))
    ok(cli("system", "depends", ENG, "Active Directory", "--on", "Data <Warehouse>"))


def test_a_duplicate_dependency_is_a_database_promise(session_scope, acme):
    with session_scope() as s:
        systems.add(s, ENG, "A")
        systems.add(s, ENG, "B")
        dependencies.depends(s, ENG, "A", on="B")
    with pytest.raises(Refused), session_scope() as s:
        row = s.execute(select(SystemDependency)).scalar_one()
        s.add(
            SystemDependency(
                engagement_id=row.engagement_id,
                system_id=row.system_id,
                depends_on_id=row.depends_on_id,
            )
        )
        s.flush()


def test_signed_off_kt_clears_the_flag(session_scope, acme):
    from transition.models import KTSession

    with session_scope() as s:
        systems.add(s, ENG, "App")
        systems.add(s, ENG, "Db")
        dependencies.depends(s, ENG, "App", on="Db", kind="data")
        assert dependencies.kt_flagged(s, ENG) == {"App": ["Db"]}
        eng = get_engagement(s, ENG)
        db_id = systems.details(s, eng, "Db")
    with session_scope() as s:
        eng = get_engagement(s, ENG)
        from transition.dates import utcnow

        s.add(
            KTSession(
                engagement_id=eng.id,
                system_id=db_id.id,
                uid="kt-test@x",
                topic="Backups",
                kind="walkthrough",
                starts_at=utcnow(),
                status="signed_off",
            )
        )
    with session_scope(write=False) as s:
        assert dependencies.kt_flagged(s, ENG) == {}


def test_system_map_takes_a_bounded_number_of_queries(session_scope, acme, count_queries):
    def count() -> int:
        with count_queries() as q, session_scope(write=False) as s:
            dependencies.system_map(s, ENG)
        return q.count

    with session_scope() as s:
        systems.add(s, ENG, "S0")
        systems.add(s, ENG, "S1")
        dependencies.depends(s, ENG, "S1", on="S0")
    few = count()
    with session_scope() as s:
        for i in range(2, 14):
            systems.add(s, ENG, f"S{i}")
            dependencies.depends(s, ENG, f"S{i}", on=f"S{i - 1}", kind="batch")
    assert count() == few <= 5


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30),
        min_size=1,
        max_size=6,
        unique=True,
    )
)
def test_svg_is_well_formed_and_escaped_whatever_the_names(names):
    layers = [names[i : i + 2] for i in range(0, len(names), 2)]
    edges = []
    for upper, lower in zip(layers[1:], layers, strict=False):
        edges.append(
            dict(
                system=upper[0],
                system_slug="a",
                depends_on=lower[0],
                depends_on_slug="b",
                kind="data",
            )
        )
    graph = SystemMap(
        systems=names,
        layers=layers,
        cutover_order=[n for layer in layers for n in layer],
        edges=edges,
        kt_flagged={names[-1]: [names[0]]},
    )
    svg = render_svg(graph)
    root = ElementTree.fromstring(svg)
    titles = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title"))
    for name in names:
        assert name in titles
    assert render_text(graph).startswith("layer 0")


def test_the_html_report_inlines_the_map_escaped(session_scope, acme, clock):
    from transition import reports

    clock.pin(today="2026-11-10")
    with session_scope() as s:
        systems.add(s, ENG, "<script>alert(1)</script>")
        systems.add(s, ENG, "Db")
        dependencies.depends(s, ENG, "<script>alert(1)</script>", on="Db")
    with session_scope(write=False) as s:
        html = reports.render(reports.report_data(s, get_engagement(s, ENG)), "html")
    assert "<h2>Dependency map</h2>" in html
    section = html[html.index("<h2>Dependency map</h2>") :]
    section = section[: section.index("</section>")]
    assert "<svg" in section and "<script>" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt; depends on Db" in section


def test_system_context_takes_a_bounded_number_of_queries(session_scope, acme, count_queries):
    from transition.services import raid

    def count() -> int:
        with count_queries() as q, session_scope(write=False) as s:
            dependencies.system_context(s, ENG)
        return q.count

    with session_scope() as s:
        systems.add(s, ENG, "S0")
        systems.add(s, ENG, "S1")
        dependencies.depends(s, ENG, "S1", on="S0")
        raid.link(s, ENG, raid.add(s, ENG, kind="issue", title="i").ref, system="S0")
    few = count()
    with session_scope() as s:
        for i in range(2, 10):
            systems.add(s, ENG, f"S{i}")
            dependencies.depends(s, ENG, f"S{i}", on="S0")
            item = raid.add(s, ENG, kind="risk", title=f"risk {i}", probability=2, impact=2)
            raid.link(s, ENG, item.ref, system=f"S{i}")
    assert count() == few <= 10
    with session_scope(write=False) as s:
        context = {c.system: c for c in dependencies.system_context(s, ENG)}
    assert context["S3"].raid == ["R-2 (4) risk 3"]
    assert context["S0"].used_by == [f"S{i}" for i in range(1, 10)]


def test_cutover_order_puts_each_system_after_what_it_depends_on(cli, acme, session_scope):
    """Free systems go by name (case-insensitive), a system waits for every system it
    depends on, however deep; the order does not depend on the order edges were added."""
    for name in ("Zeta", "alpha", "Mid", "Beta", "Auth", "Intranet"):
        ok(cli("system", "add", ENG, name))
    for system, on in [("Mid", "Zeta"), ("Beta", "Mid"), ("alpha", "Auth"), ("Zeta", "Auth")]:
        ok(cli("system", "depends", ENG, system, "--on", on))
    shown = ok(cli("system", "map", ENG, "--json")).json()
    expected = ["Auth", "alpha", "Intranet", "Zeta", "Mid", "Beta"]
    assert shown["cutover_order"] == expected
    assert shown["layers"][0] == ["Auth", "Intranet"]
    assert "cutover order\n  1. Auth\n  2. alpha\n" in ok(cli("system", "map", ENG)).stdout
    report = ok(cli("report", ENG)).stdout
    assert "1. Auth\n2. alpha\n3. Intranet\n4. Zeta\n5. Mid\n6. Beta\n" in report
    with session_scope() as s:  # removed systems leave the order
        systems.remove(s, ENG, "Mid")
    with session_scope(write=False) as s:
        assert dependencies.system_map(s, ENG).cutover_order == [
            "Auth",
            "alpha",
            "Beta",
            "Intranet",
            "Zeta",
        ]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=1, max_value=9).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20),
            st.randoms(use_true_random=False),
        )
    )
)
def test_cutover_order_is_a_stable_topological_order(case):
    n, pairs, rnd = case
    names = [f"S{i}" for i in range(n)]
    # edges only from a higher number to a lower one: a graph without cycles
    needs = {name: [] for name in names}
    for a, b in pairs:
        if a > b:
            needs[names[a]].append(names[b])
    order = dependencies.cutover_order(names, needs)
    assert sorted(order) == sorted(names)
    place = {name: i for i, name in enumerate(order)}
    assert all(place[d] < place[s] for s, deps in needs.items() for d in deps)
    shuffled = {s: rnd.sample(deps, len(deps)) for s, deps in needs.items()}
    assert dependencies.cutover_order(rnd.sample(names, n), shuffled) == order
    # the first free system by name goes first
    free = [name for name in names if not needs[name]]
    assert order[0] == min(free, key=str.lower)


def test_the_map_is_held_under_the_audit_logs_own_lock(session_scope, engine, acme):
    """A writer of a dependency map holds the one lock every writer of the log (and every
    undo, first) queues on: an undo putting a dependency back and a `system depends` can
    never each hold one lock while waiting for the other's."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's locks; SQLite has one writer at a time")
    from sqlalchemy import text

    from transition.services import audit

    with session_scope() as holder:
        dependencies.lock_graph(holder)
        with session_scope() as other:
            taken = other.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": audit._PG_LOCK_ID}
            ).scalar_one()
            assert taken is False


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Payroll engine", "Payroll engine"),
        ("A" * 30, "A" * 23 + "…"),
        ("日本語の非常に長いシステム名前テスト用", "日本語の非常に長いシス…"),  # wide: two each
        ("会計システム", "会計システム"),
    ],
)
def test_a_box_shows_as_much_of_a_name_as_fits_its_width(name, shown):
    """A wide character takes two letters' room: a CJK name is cut as soon as a Latin
    one of the same width would be, not left to run out of its box."""
    graph = SystemMap(
        systems=[name], layers=[[name]], cutover_order=[name], edges=[], kt_flagged={}
    )
    texts = [t.text for t in ElementTree.fromstring(render_svg(graph)).iter(
        "{http://www.w3.org/2000/svg}text")]  # fmt: skip
    assert shown in texts
