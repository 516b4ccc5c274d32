"""The wording lint: weak phrases a registered manager would recognise, and strong rewrites it leaves alone."""

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.lint import ACTIVITY_CODES, CODES, NOT_CHECKED, PHRASES, STRUCTURAL_CODES, Finding, lint_wording


def codes(text, **kwargs):
    return [finding.code for finding in lint_wording(text, **kwargs)]


# (code, weak sentence as written in real plans)
WEAK = [
    ("staff_reminded", "All staff reminded to sign MAR charts"),
    ("staff_reminded", "Staff were reminded of the importance of completing fluid charts"),
    ("staff_reminded", "Remind night staff to complete repositioning charts"),
    ("staff_reminded", "Reminder sent to all carers about logging call times"),
    ("policy_reviewed", "Medication policy reviewed and updated"),
    ("policy_reviewed", "Safeguarding policy has been updated and recirculated"),
    ("policy_reviewed", "Review the falls policy"),
    ("manager_to_monitor", "RM to monitor"),
    ("manager_to_monitor", "Registered manager will monitor compliance"),
    ("manager_to_monitor", "Deputy to continue to monitor fluid charts"),
    ("manager_to_monitor", "Compliance with repositioning to be monitored"),
    ("improve_recording", "Improve recording of fluid intake"),
    ("improve_recording", "Recording of repositioning to improve"),
    ("improve_recording", "Staff to improve their documentation in daily notes"),
    ("training_only", "Refresher training delivered to night staff"),
    ("training_only", "Moving and handling training refreshed for all carers"),
    ("training_only", "Staff to attend safeguarding training"),
    ("spot_checks_unquantified", "Spot checks to be carried out"),
    ("spot_checks_unquantified", "Deputy manager to complete spot-checks on call times"),
    ("spot_checks_unquantified", "Spot check MAR charts"),
    ("ensure_vague", "Ensure staff are aware of the falls protocol"),
    ("ensure_vague", "Senior to ensure all MAR charts are signed"),
    ("ensure_vague", "Make sure care plans are up to date"),
    ("awareness", "Raise awareness of dysphagia among kitchen staff"),
    ("awareness", "Staff awareness session on pressure care"),
    ("awareness", "Dignity awareness raising with all staff"),
    ("discuss_only", "Discuss at team meeting"),
    ("discuss_only", "Findings to be discussed in supervision"),
    ("discuss_only", "Lessons learned shared with staff at handover"),
    ("open_ended", "Monitoring of weights ongoing"),
    ("open_ended", "Care plans to be updated as required"),
    ("open_ended", "Manager to review bed rail assessments as appropriate"),
    ("vague_frequency", "Audit care plans regularly"),
    ("vague_frequency", "Periodically check bed rails"),
]

# (code, a strong rewrite of the same action): measurable, owned, recorded, with a target.
STRONG_REWRITES = [
    (
        "staff_reminded",
        "Senior carer observes 5 medicine rounds each week for 8 weeks and records MAR signing compliance in the "
        "practice competency log; target 100%",
    ),
    (
        "policy_reviewed",
        "Deputy manager audits 10 medicine records a month for 3 months against the medication policy and records "
        "results in the audit summary; target 95% compliant",
    ),
    (
        "manager_to_monitor",
        "Registered manager audits 10 MAR charts every Friday for 8 weeks and records results in the medicines audit "
        "log; target 100% signed",
    ),
    (
        "improve_recording",
        "Senior carer checks every fluid chart at the end of each shift and records gaps in the daily management "
        "log; target 95% complete within 8 weeks",
    ),
    (
        "training_only",
        "Team leader observes each night carer on 2 medicine rounds within 4 weeks and records competency sign-off "
        "in the practice competency log; target 100% signed off",
    ),
    (
        "spot_checks_unquantified",
        "Deputy manager completes 5 unannounced spot checks a week for 6 weeks and records them in the spot-check "
        "log; target 90% fully compliant",
    ),
    (
        "ensure_vague",
        "Team leader asks 3 staff each shift to describe the falls protocol and records the answers in the "
        "supervision log; target 100% correct",
    ),
    (
        "awareness",
        "Kitchen lead checks the texture of every modified diet meal at each sitting against the IDDSI level in the "
        "care plan; target zero mismatches over 4 weeks",
    ),
    (
        "discuss_only",
        "Registered manager presents the monthly falls audit at the team meeting and records one named action per "
        "unit in the minutes; target fewer than 3 falls a month",
    ),
    (
        "open_ended",
        "Key worker weighs each resident at risk of weight loss every Monday for 8 weeks and records the weight in "
        "the nutrition tracker; target 100% weighed",
    ),
    (
        "vague_frequency",
        "Deputy manager audits 10 care plans a month; target 90% reviewed within 28 days",
    ),
]

# Strong, measurable action texts written from the domain articles (punctuality, dignity, medicines,
# risk assessments, supervision, nutrition).
STRONG_ACTIONS = [
    "Scheduler redesigns run structures using realistic travel times; branch manager holds a daily delay review "
    "call and reports punctuality weekly to senior leadership; target 95% of calls within 15 minutes over 8 weeks",
    "Team leaders carry out 3 dignity observations per unit each week for 8 weeks and record knock-and-wait "
    "practice on the observation audit form; target 100% of bedroom entries",
    "Service manager reassesses the medication competency of all medication-trained staff by live observation and "
    "records sign-off in each staff file",
    "Quality lead samples 10 MAR charts per house each month and records findings in the medicines audit report; "
    "target zero unsigned administrations for 3 consecutive months",
    "Shift leader escalates every MAR anomaly to the registered manager on the same day and records it in the "
    "daily management log",
    "Deputy manager reviews all mobility-related care files within 2 weeks and records the baseline on the "
    "improvement action tracker with each person's priority rating",
    "Senior carer observes one transfer for each affected person and records the observation in the practice "
    "competency log",
    "Registered manager samples 5 supervision records each month and checks that every action is specific and "
    "followed up; target 95% compliant within 3 months",
    "Senior carer checks food and fluid charts for everyone at risk of weight loss at the end of every shift; "
    "target 95% complete within 8 weeks",
    "Quality lead tracks late-call complaints by postcode cluster weekly and reports the trend to the monthly "
    "governance meeting",
    "Audit 10 care plans a month; target 90% reviewed within 28 days",
    "Registered manager audits all PRN (as required) protocols monthly; target 100% with a current review date",
]

# Steps from the domain article on closing actions: who does what, and where it is recorded.
DOMAIN_STEPS = [
    (
        "Deputy manager",
        "Reviews all mobility-related care files, identifies missing or outdated risk assessments, and records the "
        "baseline findings on the improvement action tracker with each person's priority rating.",
    ),
    (
        "Moving and handling lead",
        "Completes updated assessments for each affected person, confirms equipment and support requirements, and "
        "records the approved assessment in the person's care record.",
    ),
    (
        "Senior carer",
        "Observes one transfer for each affected person, checks whether staff follow the updated assessment, and "
        "records the observation in the practice competency log.",
    ),
    (
        "Registered manager",
        "Samples completed assessments, checks alignment with daily notes and incident records, and records the "
        "closure recommendation in the monthly audit summary.",
    ),
    (
        "Nominated individual",
        "Reviews the audit summary, observation evidence and tracker entry, then records the closure decision or "
        "further challenge in the provider governance minutes.",
    ),
    (
        "Deputy manager",
        "Revises the supervision template, adds prompts for learning, practice concerns and previous actions, and "
        "records the approved template in the workforce quality file.",
    ),
    (
        "Key worker",
        "Updates each person's nutrition care plan, confirms monitoring requirements and preferences, and records "
        "the revised guidance in the care plan and handover notes.",
    ),
]

PHRASE_CODES = [phrase.code for phrase in PHRASES]


# --- weak phrases ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "text"), WEAK)
def test_weak_phrase_fires(code, text):
    findings = lint_wording(text)
    found = {finding.code: finding for finding in findings}
    assert code in found, [finding.code for finding in findings]
    assert found[code].phrase
    assert found[code].phrase in text


def test_every_phrase_code_has_two_or_more_weak_examples_and_a_strong_rewrite():
    for code in PHRASE_CODES:
        assert sum(1 for weak_code, _ in WEAK if weak_code == code) >= 2, code
        assert any(rewrite_code == code for rewrite_code, _ in STRONG_REWRITES), code


@pytest.mark.parametrize(("code", "text"), STRONG_REWRITES)
def test_strong_rewrite_has_no_findings(code, text):
    assert lint_wording(text) == []


@pytest.mark.parametrize("text", STRONG_ACTIONS)
def test_no_false_positives_on_strong_actions(text):
    assert lint_wording(text, owner="Deputy manager", due_date=date(2025, 6, 30)) == []


@pytest.mark.parametrize(("who", "text"), DOMAIN_STEPS)
def test_no_false_positives_on_domain_steps(who, text):
    assert lint_wording(text, kind="step", who=who, due_date=date(2025, 6, 30)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Staff have all been reminded about knock and wait",
        "The RM will monitor closely",
        "Policies and procedures to be reviewed",
        "Retrain staff on the hoist",
        "Carers to be made aware of the new call monitoring system",
        "Add falls to the team meeting agenda",
        "Spot-checking of medication rooms",
        "Ensuring all staff know the escalation route",
        "Update care plans asap",
        "Safeguarding e-learning completed by all staff",
        "Staff to read and sign the moving and handling policy",
        "New choking protocol introduced",
        "Manager will keep an eye on call times",
        "Keep under review",
    ],
)
def test_variations_and_inflections_are_caught(text):
    assert set(codes(text)) & set(PHRASE_CODES), text


# --- the qualifiers: quantity, "how and how often", and assurance ------------------------------------------


def test_monitoring_needs_both_how_and_how_often():
    assert "manager_to_monitor" in codes("RM to monitor MAR signing by auditing charts")
    assert "manager_to_monitor" in codes("RM to monitor MAR signing weekly")
    assert "manager_to_monitor" not in codes("RM to monitor MAR signing weekly by auditing 10 charts")


def test_spot_checks_with_a_number_or_frequency_are_not_flagged():
    assert "spot_checks_unquantified" not in codes("Deputy manager completes 4 spot checks of call times")
    assert "spot_checks_unquantified" not in codes("Night spot checks every week for 6 weeks")
    assert "spot_checks_unquantified" in codes("Night spot checks by 30 June 2025")


def test_training_followed_by_an_assurance_check_is_not_flagged_as_training_only():
    text = (
        "Night staff complete medicines refresher training, then the senior carer observes 5 rounds a week for "
        "8 weeks; target 100% MAR entries signed"
    )
    assert "training_only" not in codes(text)
    assert "training_only" in codes("Night staff complete medicines refresher training by 30 June")


def test_prn_as_required_medicines_are_not_open_ended():
    assert "open_ended" not in codes("Audit all PRN (as required) protocols monthly")
    assert "open_ended" not in codes("Check every as required medication has a protocol, weekly")
    assert "open_ended" not in codes("Audit 10 when required medicines a month")
    assert "open_ended" in codes("Review the protocol as required")


def test_reading_an_updated_protocol_is_not_reviewing_a_policy():
    text = "Senior carer observes 5 handovers a week against the updated falls protocol; target 100%"
    assert "policy_reviewed" not in codes(text)


def test_carers_reminding_residents_is_care_not_staff_reminded():
    assert "staff_reminded" not in codes("Carers remind Mrs B to drink at every visit and record it on the chart")


# --- activity versus assurance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "All staff reminded to sign MAR charts",
        "Medication policy reviewed and updated",
        "Refresher training delivered to night staff",
        "Raise awareness of dysphagia",
        "Discuss at team meeting",
    ],
)
def test_activity_wording_says_it_is_activity_and_suggests_an_assurance_measure(text):
    activity = [finding for finding in lint_wording(text) if finding.code in ACTIVITY_CODES]
    assert activity, text
    for finding in activity:
        assert "activity" in finding.message.lower()
        assert "assurance measure" in finding.suggestion.lower()
        assert "%" in finding.suggestion or "fewer than" in finding.suggestion


def test_activity_codes_are_reminding_policy_and_training_at_least():
    assert {"staff_reminded", "policy_reviewed", "training_only"} <= ACTIVITY_CODES


# --- structural checks -------------------------------------------------------------------------------------


def test_no_measure():
    assert codes("Improve the quality of care plans") == ["no_measure"]
    assert codes("Audit 10 care plans a month; target 90% reviewed within 28 days") == []


@pytest.mark.parametrize(
    "text",
    [
        "Improve the quality of care plans by 30 June 2025",
        "Improve care plans by 30/06/2025",
        "Meet Regulation 17 requirements for care plans",
        "3. Improve the quality of care plans",
        "Improve the daily notes",
        "Appoint a shift leader for the unit",
    ],
)
def test_dates_regulations_numbering_and_names_are_not_measures(text):
    assert "no_measure" in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Check all MAR charts",
        "Check each bedroom door sign",
        "Observe medicine rounds every shift",
        "Weigh residents weekly",
        "Call bells answered within at least the agreed threshold",
        "Reduce missed calls to zero",
        "Twice-daily checks of the fridge temperature",
    ],
)
def test_measurable_elements_satisfy_no_measure(text):
    assert "no_measure" not in codes(text)


def test_step_needs_a_measure_or_a_record_location():
    assert "no_measure" in codes("Check the charts", kind="step")
    assert "no_measure" not in codes("Check the charts and record gaps in the daily management log", kind="step")
    assert "no_measure" not in codes("Check 5 charts", kind="step")


def test_no_owner_only_when_explicitly_missing():
    text = "Audit 10 care plans a month; target 90% reviewed within 28 days"
    assert codes(text) == []
    assert codes(text, owner=None) == ["no_owner"]
    assert codes(text, owner="  ") == ["no_owner"]
    assert codes(text, owner="Mary Manager") == []
    assert codes(text, owner=NOT_CHECKED) == []
    assert codes(text, kind="step", who="") == ["no_owner"]
    assert codes(text, kind="step", who="Senior carer") == []
    assert codes(text, kind="step") == []


def test_no_date_only_when_explicitly_missing():
    text = "Audit 10 care plans a month; target 90% reviewed within 28 days"
    assert codes(text, due_date=None) == ["no_date"]
    assert codes(text, due_date=date(2025, 6, 30)) == []
    assert codes(text) == []
    assert codes(text, kind="step", due_date=None) == ["no_date"]


def test_owner_named_in_the_text_does_not_replace_the_owner_field():
    assert "no_owner" in codes("RM to audit 10 MAR charts a week", owner=None)


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", None])
def test_empty_text_gives_a_single_empty_finding(text):
    findings = lint_wording(text, owner=None, due_date=None)
    assert [finding.code for finding in findings] == ["empty"]
    assert findings[0].message and findings[0].suggestion


# --- ordering, duplicates and shape ------------------------------------------------------------------------


def test_findings_follow_the_text_then_structural_checks_last():
    text = "Ensure staff are reminded, discuss at team meeting and review the policy as required"
    assert codes(text, owner=None, due_date=None) == [
        "ensure_vague",
        "staff_reminded",
        "discuss_only",
        "policy_reviewed",
        "open_ended",
        "no_measure",
        "no_owner",
        "no_date",
    ]


def test_no_duplicate_codes():
    text = "Staff reminded. Night staff reminded again. Remind agency staff too. Ongoing, ongoing."
    result = codes(text)
    assert len(result) == len(set(result))
    assert result[:2] == ["staff_reminded", "open_ended"]


def test_phrase_is_the_original_text_including_typographic_characters():
    text = "Carers\u2019 notes: staff\u00a0were reminded \u2013 RM to monitor"
    findings = lint_wording(text)
    assert [finding.phrase for finding in findings[:2]] == ["staff\u00a0were reminded", "RM to monitor"]


def test_message_names_the_phrase_where_it_helps():
    (finding, *_) = lint_wording("Update care plans as and when needed")
    assert finding.code == "open_ended"
    assert '"as and when"' in finding.message


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda phrase: phrase.code)
def test_the_examples_in_each_suggestion_pass_the_lint(phrase):
    examples = re.findall(r'"([^"]+)"', phrase.suggestion)
    assert examples
    for example in examples:
        assert lint_wording(example) == [], example


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        lint_wording("Staff reminded", kind="plan")


def test_codes_are_unique_and_complete():
    assert len(PHRASE_CODES) == len(set(PHRASE_CODES))
    assert set(CODES) == set(PHRASE_CODES) | set(STRUCTURAL_CODES)
    assert {
        "staff_reminded",
        "policy_reviewed",
        "manager_to_monitor",
        "improve_recording",
        "training_only",
        "spot_checks_unquantified",
        "ensure_vague",
        "awareness",
        "discuss_only",
        "open_ended",
        "no_measure",
        "no_owner",
        "no_date",
        "empty",
    } <= set(CODES)


def test_every_finding_is_one_sentence_of_message_and_suggestion():
    everything = " ".join(text for _, text in WEAK)
    findings = lint_wording(everything, owner=None, due_date=None) + lint_wording("x", kind="step", who="")
    for finding in findings:
        assert isinstance(finding, Finding)
        assert finding.message.endswith(".") and finding.suggestion.rstrip('"').endswith((".", '"'))


# --- properties --------------------------------------------------------------------------------------------

_fields = st.one_of(st.just(NOT_CHECKED), st.none(), st.text(max_size=20))


@settings(database=None)
@given(
    text=st.one_of(st.text(), st.none()),
    kind=st.sampled_from(["action", "step"]),
    owner=_fields,
    who=_fields,
    due_date=st.one_of(st.just(NOT_CHECKED), st.none(), st.dates()),
)
def test_never_raises_and_always_returns_well_formed_findings(text, kind, owner, who, due_date):
    first = lint_wording(text, kind=kind, owner=owner, who=who, due_date=due_date)
    second = lint_wording(text, kind=kind, owner=owner, who=who, due_date=due_date)
    assert first == second
    assert isinstance(first, list)
    seen = [finding.code for finding in first]
    assert len(seen) == len(set(seen))
    for finding in first:
        assert isinstance(finding, Finding)
        assert finding.code in CODES
        assert finding.message.strip() and finding.suggestion.strip()
        assert finding.phrase == "" or finding.phrase in (text or "")


@settings(database=None)
@given(st.lists(st.sampled_from([text for _, text in WEAK] + STRONG_ACTIONS), min_size=1, max_size=4))
def test_weak_phrases_are_found_wherever_they_sit_in_longer_text(parts):
    text = ". ".join(parts)
    found = set(codes(text))
    for code, weak in WEAK:
        if weak in parts and code not in ACTIVITY_CODES | {"manager_to_monitor", "spot_checks_unquantified"}:
            assert code in found
