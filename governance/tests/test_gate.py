"""One test per guard code: each breaks that condition and reads the refusal's sentence."""

from datetime import timedelta

from django.utils import timezone

from actions.models import ClosureCriteria, Step
from evidence.models import Concern
from governance import gate
from governance.models import ClosureRequest

WORK_CODES = {
    gate.STEPS_COMPLETE,
    gate.EVIDENCE_SOURCES,
    gate.MEASURE_TARGET,
    gate.STABILITY,
    gate.NO_RECENT_CONCERNS,
}


def draft(story, bau="Monthly MAR audit.", learning="Observation worked."):
    return ClosureRequest(
        organisation=story.org,
        action=story.action,
        requested_by=story.manager,
        bau_monitoring_plan=bau,
        closure_learning=learning,
    )


def failing(result):
    return {criterion.code for criterion in result.failing}


def evaluate(story, signer, **kwargs):
    kwargs.setdefault("request", draft(story))
    return gate.evaluate_action_closure(story.refresh(), actor=signer, **kwargs)


def test_a_ready_action_passes_every_criterion_for_an_independent_signer(story, ni):
    story.make_ready()
    result = evaluate(story, ni)
    assert result.passed, [c.sentence for c in result.failing]
    assert [c.code for c in result.criteria] == [
        "steps_complete",
        "evidence_sources",
        "measure_target",
        "stability",
        "no_recent_concerns",
        "bau_plan",
        "closure_learning",
        "signer_role",
        "signer_independent",
    ]
    assert result.get(gate.EVIDENCE_SOURCES).sentence == "2 of 2 categories (Observation, Processes)."


def test_steps_complete_fails_while_a_step_is_open(story, ni):
    from governance import services

    services.complete_step(actor=story.staff, step=story.steps[0])
    for slug in ("processes", "observation"):
        item = story.add_evidence(slug)
        item.assures_step = story.steps[0]
        item.save()
    story.add_readings([96, 97, 95, 98, 96, 97, 99, 96])

    result = evaluate(story, ni)

    assert failing(result) == {gate.STEPS_COMPLETE}
    assert result.get(gate.STEPS_COMPLETE).sentence == "1 of 2 steps done; next: Step 2."


def test_evidence_sources_counts_only_assurance_collected_after_the_work(story, ni):
    story.do_steps()
    story.add_evidence("processes")
    story.add_evidence("observation", purpose="activity", kind="training_record", title="Training attended")
    story.add_evidence("peoples-experience", collected_on=story.today - timedelta(days=3), title="Early survey")
    story.add_readings([96, 97, 95, 98, 96, 97, 99, 96])

    result = evaluate(story, ni)

    assert failing(result) == {gate.EVIDENCE_SOURCES}
    criterion = result.get(gate.EVIDENCE_SOURCES)
    assert criterion.sentence.startswith("1 of 2 categories (Processes); add assurance evidence such as")
    assert "(2 more items listed but not counted)" in criterion.sentence
    reasons = {item["title"]: item["why"] for item in criterion.figures["not_counted"]}
    assert "activity evidence" in reasons["Training attended"]
    assert "before the work was done" in reasons["Early survey"]


def test_measure_target_fails_when_the_latest_reading_is_short_even_if_spc_shows_improvement(
    org, home, manager, staff, ni
):
    from governance.tests.conftest import Story

    story = Story(org=org, home=home, manager=manager, staff=staff, stability_rule="spc")
    story.do_steps()
    story.add_evidence("processes")
    story.add_evidence("observation")
    baseline = [80, 82, 79, 81, 80, 83, 78, 80, 82, 81, 79, 80]
    story.add_readings(baseline + [96, 97, 96, 98, 97, 96, 97, 94])

    result = evaluate(story, ni)

    assert failing(result) == {gate.MEASURE_TARGET}
    assert "94% " in result.get(gate.MEASURE_TARGET).sentence
    assert "short of the target 95%" in result.get(gate.MEASURE_TARGET).sentence
    assert result.stability_rule == "spc"
    assert result.stability_params["baseline_count"] == 12


def test_stability_fails_with_too_few_readings_at_target(story, ni):
    story.do_steps()
    story.add_evidence("processes")
    story.add_evidence("observation")
    story.add_readings([96, 97, 98])

    result = evaluate(story, ni)

    assert failing(result) == {gate.STABILITY}
    assert "3 of the 4" in result.get(gate.STABILITY).sentence
    assert result.stability_params == {"window_days": 56, "min_readings": 4, **result.stability_params}


def test_a_concern_in_the_window_fails_no_recent_concerns_and_restarts_the_window(story, ni):
    story.make_ready()
    Concern.objects.create(
        action=story.action,
        kind="incident",
        occurred_on=story.today - timedelta(days=50),
        summary="Missed evening dose",
        logged_by=story.manager,
    )

    result = evaluate(story, ni)

    assert failing(result) == {gate.NO_RECENT_CONCERNS}
    sentence = result.get(gate.NO_RECENT_CONCERNS).sentence
    assert sentence.startswith("1 concern in the stability window (incident on")
    assert sentence.endswith("the window restarts from that date.")
    # Seven readings came after the concern: still enough for the restarted window.
    assert result.get(gate.STABILITY).passed


def test_a_concern_restarts_the_stability_window(story, ni):
    story.make_ready()
    Concern.objects.create(
        action=story.action,
        kind="complaint",
        occurred_on=story.today - timedelta(days=10),
        summary="Family complaint about a missed dose",
        logged_by=story.manager,
    )
    result = evaluate(story, ni)
    assert {gate.NO_RECENT_CONCERNS, gate.STABILITY} == failing(result)
    assert "only 2 of the 4 readings needed" in result.get(gate.STABILITY).sentence


def test_bau_plan_must_be_written(story, ni):
    story.make_ready()
    result = evaluate(story, ni, request=draft(story, bau="  "))
    assert failing(result) == {gate.BAU_PLAN}
    assert result.get(gate.BAU_PLAN).sentence == (
        "The business-as-usual monitoring plan is written when closure is requested."
    )


def test_closure_learning_must_be_written(story, ni):
    story.make_ready()
    result = evaluate(story, ni, request=draft(story, learning=""))
    assert failing(result) == {gate.CLOSURE_LEARNING}
    assert result.get(gate.CLOSURE_LEARNING).sentence == "The closure learning is written when closure is requested."


def test_signer_role_needs_a_nominated_individual_for_a_high_risk_action(high_risk_story, quality):
    high_risk_story.make_ready()
    result = evaluate(high_risk_story, quality)
    assert failing(result) == {gate.SIGNER_ROLE}
    assert result.get(gate.SIGNER_ROLE).sentence == (
        "Needs a nominated individual (high-risk action); Quinn Quality is quality lead."
    )


def test_signer_role_follows_the_criteria_approval_level(story, quality, ni):
    story.make_ready()
    assert evaluate(story, quality).passed
    ClosureCriteria.objects.filter(action=story.action).update(approval_level="nominated_individual")
    assert failing(evaluate(story, quality)) == {gate.SIGNER_ROLE}
    assert evaluate(story, ni).passed


def test_signer_independent_excludes_a_step_owner(story, ni):
    story.make_ready()
    Step.objects.filter(pk=story.steps[1].pk).update(who=ni)
    result = evaluate(story, ni)
    assert failing(result) == {gate.SIGNER_INDEPENDENT}
    assert result.get(gate.SIGNER_INDEPENDENT).sentence == "Nina Nominated is a step owner, so cannot sign off."


def test_signer_independent_excludes_the_owner_and_the_requester(story, manager, quality):
    story.make_ready()
    assert (
        evaluate(story, manager)
        .get(gate.SIGNER_INDEPENDENT)
        .sentence.endswith("the action's owner, so cannot sign off.")
    )
    request = draft(story)
    request.requested_by = quality
    result = evaluate(story, quality, request=request)
    assert result.get(gate.SIGNER_INDEPENDENT).sentence == (
        "Quinn Quality is the person who requested closure, so cannot sign off."
    )


def test_before_anyone_signs_the_gate_says_who_may(story):
    story.make_ready()
    result = gate.evaluate_action_closure(story.refresh())
    assert result.ready_to_request
    assert failing(result) == {gate.BAU_PLAN, gate.CLOSURE_LEARNING, gate.SIGNER_ROLE, gate.SIGNER_INDEPENDENT}
    assert result.get(gate.SIGNER_ROLE).sentence == "Needs sign-off by a quality lead or nominated individual."


def test_the_gate_can_be_asked_about_another_day(story, ni):
    story.make_ready()
    later = timezone.now() + timedelta(days=30)
    result = evaluate(story, ni, at=later)
    assert failing(result) == {gate.STABILITY}
    assert "old" in result.get(gate.STABILITY).sentence or "stale" in result.get(gate.STABILITY).sentence.lower()


def test_the_gate_does_not_query_per_evidence_item_or_reading(story, ni):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    story.make_ready()

    def count():
        action = story.refresh()
        with CaptureQueriesContext(connection) as queries:
            gate.evaluate_action_closure(action, actor=ni)
        return len(queries)

    count()  # the signer's memberships are loaded once and cached
    before = count()
    for n in range(20):
        story.add_evidence(("outcomes", "processes", "observation")[n % 3], title=f"Extra {n}")
    story.add_readings([97] * 10, ending=story.today - timedelta(days=60))
    assert count() == before
