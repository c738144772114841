"""The status report: both formats on the demo data, escaping, templates, query bounds."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from transition import reports
from transition.demo import load_demo
from transition.services import people, systems
from transition.services.common import get_engagement

TODAY = "2026-11-23"
NW = "northwind-service-desk"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


@pytest.fixture
def demo(session_scope, clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    clock.pin(today=TODAY)
    with session_scope() as session:
        load_demo(session, today=date.fromisoformat(TODAY), runbook_dir=tmp_path / "rb")
    return NW


class StrictHTML(HTMLParser):
    """Fails on any unbalanced or misnested tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def check_html(text: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def test_markdown_report_states_the_key_facts(cli, demo) -> None:
    result = cli("report", demo)
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    assert md.startswith("# Northwind Service Desk — transition status, 2026-11-23")
    assert "Northwind Traders" in md and "Contoso IT" in md and "Fabrikam Managed Services" in md
    assert "RED" in md and "key-person risk" in md
    overdue = md.split("## Overdue tasks")[1].split("## Blocked tasks")[0]
    assert "`kt-walkthroughs`" in overdue and "Raj Patel" in overdue
    blocked = md.split("## Blocked tasks")[1].split("## Access review")[0]
    assert "`ola-agreement`" in blocked and "network supplier" in blocked
    gate = md.split("## Gate: Ramp-up")[1].split("## Task burndown")[0]
    assert re.search(r"kt\\_coverage \(walkthrough, shadow\) \| \*\*no\*\*", gate)
    assert "SAP ERP (walkthrough, shadow)" in gate
    assert "admin-like role 'admin' without a justification" in md
    assert "Sofia Novak" in md.split("## Key-person risks")[1]
    assert "overridden: Sponsor accepted" in md
    # Runbooks at every stage, with their fill ratios; the handover ticks.
    runbooks = md.split("## Runbooks")[1].split("## Key-person risks")[0]
    for status in ("drafted", "reviewed", "validated", "accepted"):
        assert status in runbooks
    assert "| 100% |" in runbooks
    assert "2 done" in md.split("## Exit-handover checklist")[1]
    # Every table row has as many cells as its header.
    for block in re.findall(r"(?:^\|.*\|\n)+", md, flags=re.M):
        lines = block.strip().splitlines()
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, lines[:3]


def test_html_report_is_one_balanced_self_contained_file(cli, demo, tmp_path: Path) -> None:
    out = tmp_path / "status.html"
    result = cli("report", demo, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text(encoding="utf-8")
    parser = check_html(text)
    assert {"svg", "polyline", "rect", "table", "style"} <= parser.tags
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "@media print" in text
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    # burndown, timeline, dependency map, one scorecard chart per demo KPI
    assert len(svgs) == 3 + 3
    for svg in svgs:
        ET.fromstring(svg)
    assert "kt-walkthroughs" in text
    assert "kt_coverage (walkthrough, shadow)" in text
    assert "admin-like role &#39;admin&#39; without a justification" in text


def test_user_text_is_escaped_in_html_and_markdown(cli, acme, session_scope) -> None:
    with session_scope() as session:
        eng = get_engagement(session, acme)
        systems.add(session, eng, "<script>alert(1)</script> | Mail", tier=1)
        people.add(session, eng, "Eve <b>Bold</b>", side="provider")
    html = cli("report", acme, "--format", "html").stdout
    check_html(html)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = cli("report", acme).stdout
    assert "<script>" not in md and "\\<script\\>alert(1)\\</script\\> \\| Mail" in md


def test_since_filters_the_changes(cli, demo) -> None:
    later = cli("report", demo, "--since", "2999-01-01").stdout
    assert "No changes recorded." in later
    recent = cli("report", demo, "--since", "2000-01-01").stdout
    assert re.search(r"\d+ changes: ", recent.split("## Changes since 2000-01-01")[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "unknown engagement"),
        (["acme-helpdesk", "--format", "pdf"], "invalid report format"),
        (["acme-helpdesk", "--since", "last week"], "invalid --since date"),
        (["acme-helpdesk", "--templates", "/no/such/folder"], "does not exist"),
    ],
)
def test_bad_input_exits_2(cli, acme, args, message) -> None:
    result = cli("report", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stdout == ""


def test_user_templates_override_and_errors_name_the_line(
    cli, acme, tmp_path: Path, setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text(
        "Custom {{ engagement.name }}: {{ tasks.total }} tasks, {{ rag.state }}\n"
    )
    result = cli("report", acme, "--templates", folder)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"Custom Acme Helpdesk: 53 tasks, (red|amber|green)\n", result.stdout)
    # Only the Markdown one is overridden: HTML still comes from the shipped template.
    assert (
        "<!DOCTYPE html>" in cli("report", acme, "--format", "html", "--templates", folder).stdout
    )
    setting("TRANSITION_TEMPLATES", str(folder))
    assert cli("report", acme).stdout.startswith("Custom Acme")

    (folder / "report.md.j2").write_text("line one\n{{ no_such_thing.name }}\n")
    result = cli("report", acme)
    assert result.exit_code == 2
    assert "report.md.j2:2:" in result.stderr and "no_such_thing" in result.stderr
    (folder / "report.md.j2").write_text("{% for x in %}\n")
    result = cli("report", acme)
    assert result.exit_code == 2 and "report.md.j2:1:" in result.stderr
    (folder / "report.md.j2").write_text("{{ ''.__class__.__mro__ }}\n")
    result = cli("report", acme)
    assert result.exit_code == 2 and "unsafe" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_queries_do_not_grow_with_rows(session_scope, demo, count_queries) -> None:
    def measure(top: int | None = None) -> int:
        with session_scope() as session, count_queries() as q:
            eng = get_engagement(session, demo)
            reports.render(reports.report_data(session, eng, top=top), "html")
        return q.count

    before, cut = measure(), measure(top=2)
    from transition.services import access, kt

    with session_scope() as session:
        eng = get_engagement(session, demo)
        for n in range(6):
            systems.add(session, eng, f"Extra system {n}", tier=2)
            people.add(session, eng, f"Extra person {n}", side="provider")
            access.grant(
                session, eng, person=f"Extra person {n}", system=f"Extra system {n}", role="user"
            )
            kt.schedule(
                session,
                eng,
                system=f"Extra system {n}",
                topic="Overview",
                presenters=["Raj Patel"],
                attendees=[f"Extra person {n}"],
                at=reports.datetime(2026, 11, 25, 10, tzinfo=reports.UTC),
            )
    assert measure() == before and measure(top=2) == cut
    # owners, topics and KT by topic for the gate, release readiness, movers and the exit date included;
    # the dependency map (systems, edges, KT signed off), the scorecard section and its two
    # gate criteria; the go/no-go decision and the cutover gate's exercises and go_decision;
    # the governance meetings; the committee summary (RAID entries, KT sessions, releases,
    # expiries) and the changes as sentences (events, names of tasks, grants, RAID entries);
    # the readiness score (its parts and trend)
    assert before <= 93  # 100 before the readiness section shared the KT matrix and findings
    # Only the first rows of each long list: the kinds are counted apart from their rows.
    assert cut <= 112


def test_report_read_up_to_its_first_rows_reads_the_same(session_scope, demo) -> None:
    """``report_data(top=n)`` sums the long lists up in the database and reads only their
    first rows: rendered, it is the report made from every row."""
    with session_scope() as session:
        eng = get_engagement(session, demo)
        whole = reports.report_data(session, eng, audit=True)
        for top in (1, 2, 5, 20):
            cut = reports.report_data(session, eng, audit=True, top=top)
            cut["generated_at"] = whole["generated_at"]
            assert cut["totals"] and not whole["totals"]
            for fmt in ("md", "html"):
                assert reports.render(cut, fmt, top=top) == reports.render(whole, fmt, top=top)


# --- user text shows literally in the Markdown report ---------------------------------

MD_METACHARACTERS = list("\\`*_{}[]()#+-.!|<>~&:;='\"/ \n\t") + ["ab", "1.", "é", "王", "&amp;"]


class _Cells(HTMLParser):
    """Text of every h1 and table cell, with the tags found inside each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[list[str], list[str]]] = []
        self._open = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("td", "th", "h1"):
            self._open += 1
            self.cells.append(([], []))
        elif self._open:
            self.cells[-1][1].append(tag)

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th", "h1"):
            self._open -= 1

    def handle_data(self, data) -> None:
        if self._open:
            self.cells[-1][0].append(data)

    def texts(self) -> list[str]:
        return ["".join(text).strip() for text, _ in self.cells]


def test_markdown_report_shows_generated_user_text_literally(cli, acme, session_scope) -> None:
    import copy

    from hypothesis import given, settings
    from hypothesis import strategies as st
    from markdown_it import MarkdownIt
    from markupsafe import escape

    assert cli("system", "add", acme, "Mail").exit_code == 0
    with session_scope() as session:
        base = reports.report_data(session, get_engagement(session, acme))
    to_html = MarkdownIt("commonmark").enable(["table", "strikethrough"])

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(st.sampled_from(MD_METACHARACTERS), min_size=1, max_size=25)
        .map("".join)
        .filter(str.strip),
        st.lists(st.sampled_from(MD_METACHARACTERS), min_size=1, max_size=10)
        .map("".join)
        .filter(str.strip),
    )
    def check(text: str, other: str) -> None:
        flat, flat_other = " ".join(text.split()), " ".join(other.split())
        data = copy.deepcopy(base)
        eng = data["engagement"]
        eng.name, eng.client, eng.model, eng.location = text, text, text, other
        data["systems"][0].name = text
        data["rag"]["reasons"] = [text, other]
        md = reports.render(data, "md")
        parsed = _Cells()
        parsed.feed(to_html.render(md))
        cells = parsed.texts()
        assert cells[0].startswith(f"{flat} — transition status"), (text, md.splitlines()[0])
        ours = [0, cells.index("Client") + 1, cells.index("Model") + 1, cells.index(flat, 2)]
        assert cells[ours[1]] == flat, text
        assert cells[ours[2]] == f"{flat}, {flat_other}", (text, other)
        for i in ours:  # no emphasis, link, code or HTML made of the text
            assert parsed.cells[i][1] == [], (text, other, parsed.cells[i])
        html = reports.render(data, "html")
        assert str(escape(text)) in html, text  # HTML stays escaped

    check()


def test_report_data_holds_read_models(session_scope, demo) -> None:
    """The phases and the state the report shows, as data (no template involved)."""
    with session_scope() as session:
        data = reports.report_data(session, get_engagement(session, demo))
    current = data["current_phase"]
    assert current is not None and current.key == "ramp-up"
    assert [p.key for p in data["phases"] if p.status == "done"] == ["discovery", "access-setup"]
    done = {p.key: p for p in data["phases"]}
    assert done["access-setup"].gate_decision == "overridden"
    assert done["discovery"].bar_end == done["discovery"].actual_end
    assert current.bar_end == data["today"] and current.late_days >= 0
    assert [c.name for c in data["unmet"]] == [c.name for c in current.gate if not c.met]
    assert "kt_coverage" in [c.name for c in data["unmet"]]
    assert all(p.unmet == [c for c in p.gate if not c.met] for p in data["phases"])
    assert data["key_person_risks"] and data["key_person_risks"][0].system
    assert data["rag"]["state"] == "red"
    assert any("key-person risk" in reason for reason in data["rag"]["reasons"])
    points = data["burndown"]["points"]
    assert points[0]["planned"] == data["burndown"]["total"] == data["tasks"]["total"]


# --- summaries and the first rows; every row in the appendix ----------------------------


def test_long_lists_show_their_first_rows_and_the_appendix_holds_them_all(
    session_scope, demo
) -> None:
    with session_scope() as session:
        data = reports.report_data(session, get_engagement(session, demo))
    findings = len(data["access"]["findings"])
    systems_ = len(data["systems"])
    assert findings > 2 and systems_ > 2
    for fmt in ("md", "html"):
        text = reports.render(data, fmt, top=2)
        assert f"… and {findings - 2} more" in text
        assert f"… and {systems_ - 2} more" in text
        assert "transition report --appendix FILE" in text
        named = reports.render(data, fmt, top=2, appendix="week-48-appendix.md")
        assert "all of them in the appendix week-48-appendix.md" in named
        appendix = reports.render_appendix(data, fmt)
        assert f"Access review findings ({findings})" in appendix
        for s in data["systems"]:
            assert s.name in appendix
        if fmt == "html":
            check_html(text)
            check_html(appendix)
    # The shown rows are the most pressing: the systems not ready come first.
    cut = reports.shown(data, 2)
    assert cut["more"]["systems"] == systems_ - 2
    assert len(cut["systems"]) == 2 and len(data["systems"]) == systems_  # data stays whole
    if any(not s.ready for s in data["systems"]):
        assert not cut["systems"][0].ready
    # Nothing is left out when a list is short.
    assert reports.shown(data, 10_000)["more"] == dict.fromkeys(reports.LISTS, 0)
    assert "more, all of them" not in reports.render(data, "md", top=10_000)


def test_report_writes_its_appendix_when_asked(cli, demo, tmp_path: Path) -> None:
    out, appendix = tmp_path / "report.md", tmp_path / "appendix.md"
    result = cli("report", demo, "-o", out, "--appendix", appendix)
    assert result.exit_code == 0, result.stderr
    assert f"wrote its appendix to {appendix}" in result.stdout
    assert appendix.read_text().startswith("# Northwind")
    assert stat.S_IMODE(appendix.stat().st_mode) == 0o600
    result = cli("report", demo, "--format", "html", "--appendix", tmp_path / "a.html")
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    check_html((tmp_path / "a.html").read_text())


def test_runbook_files_are_counted_as_the_runbooks_count_them(tmp_path: Path) -> None:
    """The report reads each runbook file in one call: what it counts is what
    ``runbook_files.scan`` counts, for every kind of file."""
    from transition.services import runbook_files
    from transition.services.runbook_fill import _scan

    texts = {
        "plain.md": "# Restart\n\n[[FILL: who]] and [[FILL: when]]\n",
        "empty.md": "",
        "angles.md": "a <b> tag, [[FILL: x]]\n",
        "conflict.md": "<<<<<<< ours\n[[FILL: a]]\n=======\nb\n>>>>>>> theirs\n<<<<<<< x\n",
        "latin.md": "caf\xe9 [[FILL: y]]",
    }
    for name, text in texts.items():
        (tmp_path / name).write_bytes(text.encode("latin-1"))
    (tmp_path / "folder.md").mkdir()
    os.mkfifo(tmp_path / "pipe.md")
    names = [*texts, "folder.md", "pipe.md", "missing.md"]
    for name in names:
        path = str(tmp_path / name)
        assert _scan(path) == runbook_files.scan(path), name
    assert _scan(str(tmp_path / "conflict.md")) == (1, 2)


def test_checklist_sections_are_titled_by_their_first_item(demo, session_scope) -> None:
    """The report's checklist summary titles each section as the whole checklist does (its
    first item's title), also when the items of a section carry different titles."""
    from sqlmodel import select

    from transition.models import HandoverItem

    def both() -> tuple[list, list]:
        with session_scope() as session:
            eng = get_engagement(session, demo)
            whole = reports._handover(session, eng, None, {})["sections"]
            summed = reports._handover(session, eng, 2, {})["sections"]
        return whole, summed

    whole, summed = both()
    assert summed == whole
    with session_scope() as session:
        eng = get_engagement(session, demo)
        items = session.exec(
            select(HandoverItem)
            .where(HandoverItem.engagement_id == eng.id)
            .order_by(HandoverItem.position, HandoverItem.id)
        ).all()
        for item in items[: len(items) // 2]:
            item.section_title = f"Renamed {item.section_title}"
    whole, summed = both()
    assert summed == whole
    assert any(s["title"].startswith("Renamed ") for s in whole)
