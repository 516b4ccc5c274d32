"""The commissioner pack's PDF (governance.packs): contents, signatures, redaction, scope, fetching, pages."""

import io
import re
from datetime import timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance import packs, services
from qip.tests.domain_factories import (
    ActionFactory,
    ConcernFactory,
    EvidenceFactory,
    MeasureFactory,
    PlanFactory,
    ReadingFactory,
    StepFactory,
)
from qip.tests.factories import PASSWORD
from qip.tests.two_factor_support import code_for

RESIDENT = "Edith Resident"
RELATIVE = "Bertie Relative"
PLAN_HEADINGS = [
    "Problem statement and source",
    "Root causes",
    "Quality statements and regulations",
    "Actions",
    "Target and measure",
    "Steps",
    "Evidence index",
    "Reviews timeline",
    "Closure decisions",
    "Post-closure checks",
    "Business-as-usual monitoring and residual risks",
    "Changes to closure criteria",
]


def _pdf_text(pdf):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def _flat(text):
    return re.sub(r"\s+", "", text)


def _args(user, org, plans, **overrides):
    today = timezone.localdate()
    return {
        "user": user,
        "organisation": org,
        "plans": plans,
        "date_from": today - timedelta(days=365),
        "date_to": today,
        "include_closed": True,
        "redact": False,
        "reference": "PACK-2026-001",
        **overrides,
    }


@pytest.fixture
def closed_story(story, quality):
    """The story's action closed by `quality`, with evidence and a concern naming people who use the service."""
    story.make_ready()
    request = story.request()
    services.approve(actor=quality, closure_request=request, password=PASSWORD, code=code_for(quality))
    EvidenceFactory(action=story.action, category="peoples-experience", kind="feedback", people_named=RESIDENT)
    ConcernFactory(action=story.action, people_named=RELATIVE)
    story.refresh()
    return story


@pytest.fixture
def built(closed_story, ni):
    calls = []
    pdf, pages = packs.build_pack_pdf(
        **_args(ni, closed_story.org, [closed_story.plan]), progress=lambda done, total: calls.append((done, total))
    )
    return pdf, pages, _pdf_text(pdf), calls


def test_every_section_heading_is_in_the_pack(built, closed_story):
    _pdf, _pages, texts, calls = built
    text = "\n".join(texts)
    assert "Quality improvement plan pack" in text
    assert "Example Care Group" in text
    assert "PACK-2026-001" in text
    assert "Contents" in texts[1]
    assert "Summary" in text
    assert f"{closed_story.plan.reference}: {closed_story.plan.title}" in text
    for heading in PLAN_HEADINGS:
        assert heading in text, heading
    for category in ("Processes", "Observation", "Outcomes", "Feedback from partners"):
        assert category in text
    assert "Appendix: statistical process control rules" in text
    assert "2.66" in text
    assert calls == [(1, 1)]


def test_a_closed_actions_signature_block_is_printed_in_full(built, closed_story):
    _pdf, _pages, texts, _calls = built
    signoff = closed_story.action.closing_signoff
    flat = _flat("\n".join(texts))
    for value in (signoff.printed_name, signoff.role, signoff.meaning, signoff.snapshot_hash):
        assert value and _flat(value) in flat, value
    assert _flat("Snapshot SHA-256") in flat
    assert signoff.snapshot_hash in "\n".join(texts)  # on one line, copyable


def test_page_n_of_n_and_the_marking_line_are_on_every_page(built):
    pdf, pages, texts, _calls = built
    assert pages == len(texts) > 3
    assert pdf.startswith(b"%PDF")
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "Contains personal information — handle in line with your data protection policy" in text
        assert "PACK-2026-001" in text


def test_names_in_people_named_are_printed_unless_redacted(built, closed_story, ni):
    flat = _flat("\n".join(built[2]))  # a name may wrap in its table cell
    assert _flat(RESIDENT) in flat
    assert _flat(RELATIVE) in flat

    pdf, _pages = packs.build_pack_pdf(**_args(ni, closed_story.org, [closed_story.plan], redact=True))
    redacted = _flat("\n".join(_pdf_text(pdf)))
    assert _flat(RESIDENT) not in redacted
    assert _flat(RELATIVE) not in redacted
    assert _flat(packs.WITHHELD) in redacted
    html = packs.render_pack_html(**_args(ni, closed_story.org, [closed_story.plan], redact=True))
    assert RESIDENT not in html
    assert RELATIVE not in html


def test_a_foreign_organisations_plan_is_never_included(closed_story, ni, outsider, foreign_org, foreign_location):
    foreign = PlanFactory(
        organisation=foreign_org, locations=[foreign_location], owner=outsider, title="Foreign secret plan"
    )
    ActionFactory(plan=foreign, title="Foreign secret action")
    pdf, _pages = packs.build_pack_pdf(**_args(ni, closed_story.org, [closed_story.plan, foreign, foreign.pk]))
    text = "\n".join(_pdf_text(pdf))
    assert "Foreign secret" not in text
    assert closed_story.plan.title in text
    # Nor by asking for the foreign organisation as someone who is not a member of it.
    html = packs.render_pack_html(**_args(ni, foreign_org, [foreign]))
    assert "Foreign secret" not in html
    # Nor the other way round: the outsider asking for our organisation gets nothing of it.
    html = packs.render_pack_html(**_args(outsider, closed_story.org, [closed_story.plan]))
    assert closed_story.plan.title not in html


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/pack.css",
        "https://example.com/font.ttf",
        "ftp://example.com/x",
        "file:///etc/passwd",
        (packs.STATIC_DIR / ".." / "manage.py").resolve().as_uri(),
        (packs.STATIC_DIR / "fonts" / ".." / ".." / "requirements.txt").as_uri(),
        "file://evil.example/" + str(packs.STATIC_DIR / "packs" / "pack.css"),
        (packs.STATIC_DIR / "packs" / "missing.css").as_uri(),
    ],
)
def test_the_url_fetcher_refuses_the_network_and_files_outside_static(url):
    with pytest.raises(ValueError):
        packs.static_url_fetcher(url)


def test_the_url_fetcher_serves_static_files_and_data_urls():
    served = packs.static_url_fetcher((packs.STATIC_DIR / "packs" / "pack.css").as_uri())
    assert b"@font-face" in served["string"]
    assert served["mime_type"] == "text/css"
    font = packs.static_url_fetcher((packs.STATIC_DIR / "fonts" / "DejaVuSans.ttf").as_uri())
    assert len(font["string"]) > 100_000
    data = packs.static_url_fetcher("data:text/plain;base64,aGVsbG8=")
    assert (data.get("string") or data["file_obj"].read()) == b"hello"


def test_reads_cost_the_same_whatever_the_number_of_actions(story, ni):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            packs.render_pack_html(**_args(ni, story.org, [story.plan]))
        return len(captured)

    queries()  # the user's memberships are loaded once, on the first read
    before = queries()
    for _ in range(3):
        action = ActionFactory(plan=story.plan, owner=story.manager)
        ReadingFactory.create_batch(3, measure=MeasureFactory(action=action))
        StepFactory.create_batch(2, action=action)
        EvidenceFactory(action=action, people_named=RESIDENT)
        ConcernFactory(action=action)
    assert queries() == before
