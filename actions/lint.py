"""Wording lint for improvement actions and their steps.

A pure function, `lint_wording`, that flags weak wording in an action's title or
description, or in a step's "what" text, and explains each finding in plain English
with a concrete, stronger rewrite. It only warns: the caller decides what to do with
the findings (overriding one needs a reason, recorded elsewhere).

What counts as weak comes from what commissioners and CQC say about improvement plans:
"staff reminded", "policy reviewed" and "manager to monitor" record *activity* (a task
happened), not *assurance* (practice changed and someone checked). A credible action
says who does what, how much or how often, where it is recorded and by when.

The phrase table `PHRASES` is data: adding a weak phrase is one line. A phrase may
carry an `unless` test on the whole text; for example "spot checks" are only flagged
when the text gives no number or frequency, and activity wording is not flagged when
the same text already contains an assurance check (a method such as observe/audit
plus a number or frequency).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ACTIVITY_CODES",
    "CODES",
    "NOT_CHECKED",
    "PHRASES",
    "STRUCTURAL_CODES",
    "Finding",
    "Phrase",
    "lint_wording",
]


@dataclass(frozen=True)
class Finding:
    code: str  # stable code, used in tests and stored in the audit event when overridden
    phrase: str  # the text that triggered it ('' for structural checks)
    message: str  # one sentence: why it is weak
    suggestion: str  # one sentence: what to write instead (concrete, measurable, owned, dated)


class _NotChecked:
    """Sentinel: the caller did not pass this field, so the matching check is skipped."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_CHECKED"

    def __reduce__(self):
        return (_NotChecked, ())


NOT_CHECKED = _NotChecked()

KINDS = ("action", "step")


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------

# Typographic characters mapped one-for-one, so match offsets still index the original.
_TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)

_PARTS = {
    # Up to N further words between two parts of a phrase ("staff [have all been] reminded").
    "@W3@": r"(?:\s+[\w'-]+){0,3}?",
    "@W5@": r"(?:\s+[\w'-]+){0,5}?",
    "@STAFF@": (
        r"(?:(?:all\s+(?:the\s+)?|the\s+)?(?:staff(?:\s+members?)?|teams?|carers?|care\s+(?:staff|workers?|assistants?)"
        r"|colleagues|employees|workers|nurses|seniors)|everyone)"
    ),
    "@MANAGER@": (
        r"(?:(?:the\s+)?(?:registered|home|deputy|branch|service|unit|care|clinical|line|quality|ward)\s+"
        r"(?:managers?|leads?)|managers?|management|RM|DM|deputy|deputies|team\s+leaders?|senior\s+carers?|seniors?"
        r"|nurses?\s+in\s+charge|NIC|we|I)"
    ),
    "@MONITOR@": r"(?:monitor|oversee|keep\s+an\s+eye\s+on)\b",
    "@POLICY@": r"(?:polic(?:y|ies)|procedures?|protocols?|SOPs?)",
    "@RECORDS@": r"(?:record(?:ing|s)?|record[\s-]keeping|documentation|note[\s-]?taking|notes|paperwork|charts?)",
    "@MEETING@": r"(?:meetings?|supervisions?|handovers?|huddles?|briefings?|team\s+talks?)",
    # "as required" is also the plain-English name for PRN medicines: not open-ended there.
    "@NOT_PRN_BEFORE@": r"(?<!PRN\s)(?<!PRN\s\()(?<!PRN\()",
    "@NOT_MEDICINE_AFTER@": r"(?!\s*\)?\s*(?:medic\w*|meds?|drugs?|doses?|protocols?|analgesi\w*|pain\s+relief)\b)",
}


def _rx(*alternatives: str) -> re.Pattern[str]:
    """Compile alternatives (with @PART@ placeholders expanded) into one case-insensitive regex."""
    pattern = "|".join(f"(?:{alternative})" for alternative in alternatives)
    for name, part in _PARTS.items():
        pattern = pattern.replace(name, part)
    return re.compile(pattern, re.IGNORECASE)


_PERIOD = (
    r"(?:shifts?|days?|nights?|weeks?|fortnights?|months?|quarters?|years?|hours?|mornings?|evenings?|visits?|calls?"
    r"|rounds?|handovers?|admissions?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
# "a shift leader", "the daily notes", "the monthly audit summary" name things; they are not frequencies.
_NOT_FREQUENCY_AFTER = (
    r"(?![\s-]+(?:[\w-]+\s+)?(?:leaders?|leads?|patterns?|staff|managers?|planners?|logs?|books?|reports?"
    r"|records?|notes?|diary|diaries|sheets?|charts?|forms?|summary|summaries|minutes|allowance|living|team|teams"
    r"|carers?|workers?|routines?|rotas?)\b)"
)
_FREQUENCY = _rx(
    r"\b(?:hourly|daily|nightly|weekly|fortnightly|monthly|quarterly|annually|yearly|bi-?weekly|bi-?monthly)\b"
    + _NOT_FREQUENCY_AFTER,
    r"\b(?:once|twice)\b",
    rf"\b(?:every|each|per|a|an)\s+(?:[\w-]+\s+)?{_PERIOD}\b" + _NOT_FREQUENCY_AFTER,
    r"\b(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekdays|weekends)\b",
)
_NUMBER = _rx(
    r"\d",
    r"(?<!no\s)\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|half|dozen)\b",
)
_PERCENT = _rx(r"%", r"\bper\s*cent\b")
_ALL_OR_EACH = _rx(r"\b(?:all|each|every|everyone|everybody)\b")
_THRESHOLD = _rx(
    r"\b(?:at\s+least|at\s+most|no\s+(?:more|fewer|less)\s+than|fewer\s+than|less\s+than|more\s+than|up\s+to"
    r"|minimum|maximum|zero|nil|none|targets?|threshold)\b"
)
# How something is checked: a method that produces evidence.
_METHOD = _rx(
    r"\b(?:re-?audit\w*|audit\w*|observ\w*|sampl\w*|dip[\s-]?sampl\w*|check\w*|spot[\s-]?checks?|inspect\w*|count\w*"
    r"|measur\w*|test\w*|walk[\s-]?rounds?|competency|competencies|sign(?:s|ed)?[\s-]off)\b",
    r"\b(?:review(?:s|ing)?)\s+(?:\d+|all|each|every)\b",
)
# Where the result is written down ("records the observation in the practice competency log").
_RECORD_LOCATION = _rx(
    r"\b(?:records?|recorded|recording|logs?|logged|documents?|documented|enters?|entered|uploads?|uploaded|notes?"
    r"|noted|writes?|written)\b[^.;]{0,80}?\b(?:in|on|onto|into|to)\s+(?:the\s+|a\s+|each\s+|their\s+|his\s+|her\s+"
    r"|its\s+)?[\w' -]{0,60}?\b(?:logs?|trackers?|records?|files?|minutes|reports?|summary|summaries|audits?"
    r"|registers?|plans?|notes|charts?|MAR|eMAR|system|book|forms?|matrix|spreadsheet|sheets?|folders?)\b"
)
# Numbers that are not measures: dates, years, regulation references and list numbering.
_NOT_A_MEASURE = _rx(
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b",
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:january|february|march|april|may|june|july|august|september|sept"
    r"|october|november|december)\b(?:,?\s+\d{4})?",
    r"\b(?:january|february|march|april|may|june|july|august|september|sept|october|november|december)"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?\b)?(?:,?\s+\d{4})?",
    r"\b(?:19|20)\d{2}\b",
    r"\b(?:regulation|reg\.?|section|s\.)\s*\d+[a-z]?(?:\(\d+\))?",
    r"^\s*(?:(?:step|action)\s*)?\d+\s*[.):-]",
)


def _measurable_text(text: str) -> str:
    return _NOT_A_MEASURE.sub(" ", text)


def _quantified(text: str) -> bool:
    """A number, percentage or frequency (dates and regulation numbers don't count)."""
    text = _measurable_text(text)
    return bool(_NUMBER.search(text) or _PERCENT.search(text) or _FREQUENCY.search(text))


def _has_measure(text: str) -> bool:
    """Anything countable: a number, %, frequency, all/each/every, or a threshold."""
    return _quantified(text) or bool(_ALL_OR_EACH.search(text) or _THRESHOLD.search(text))


def _assured(text: str) -> bool:
    """The same text already contains an assurance check: a method plus a number or frequency."""
    return bool(_METHOD.search(text)) and _quantified(text)


def _says_how_and_how_often(text: str) -> bool:
    return bool(_METHOD.search(text)) and bool(_FREQUENCY.search(_measurable_text(text)))


# --------------------------------------------------------------------------------------
# The phrase table
# --------------------------------------------------------------------------------------


class Phrase(NamedTuple):
    code: str
    pattern: re.Pattern[str]
    message: str  # may contain {phrase}
    suggestion: str
    unless: Callable[[str], bool] | None = None  # skip when this holds for the whole text


PHRASES: list[Phrase] = [
    Phrase(
        "staff_reminded",
        _rx(
            r"\b@STAFF@\b@W3@\s+reminded\b",
            r"\b@STAFF@\s+reminders?\b",
            r"\bremind(?:s|ed|ing|ers?)?\b@W3@\s+@STAFF@\b",
        ),
        "Reminding staff is activity evidence: it shows a reminder was given, not that practice changed.",
        'Replace the reminder with an assurance measure, e.g. "Senior carer observes 5 medicine rounds a week for '
        "8 weeks and records MAR signing in the practice competency log; target 100% of MAR entries signed at the "
        'time of administration."',
        _assured,
    ),
    Phrase(
        "policy_reviewed",
        _rx(
            r"\b@POLICY@\b(?:\s+(?:has|have|was|were|is|are|been|be|being|to|will|shall|and|&|procedures?|protocols?"
            r"|now|fully|also|all|duly)){0,4}\s+(?:review(?:ed)?|updated?|revis(?:ed|ion)|amend(?:ed|ment)"
            r"|re-?written|refreshed|re-?issued|re-?circulated|circulated|re-?launched|introduced|implemented"
            r"|launched|developed|produced|put\s+in\s+place)\b",
            r"\bread\s+(?:and|&)\s+sign(?:s|ed)?\b",
            r"\b(?:review(?:s|ing)?|updat(?:e|es|ing)|revis(?:e|es|ing)|amend(?:s|ing)?|rewrit(?:e|es|ing)"
            r"|refresh(?:es|ing)?|re-?issu(?:e|es|ing)|re-?circulat(?:e|es|ing)|circulat(?:e|es|ing)"
            r"|(?:reviewed|updated|revised|amended|rewrote|refreshed|reissued|recirculated|circulated)"
            r"\s+(?:the|our|its|their|all))\b(?:\s+(?:and|&)\s+\w+)?@W3@\s+@POLICY@\b",
        ),
        "Reviewing or updating a policy is activity evidence: it shows the document changed, not that staff now "
        "work to it.",
        'Add an assurance measure that tests the policy in practice, e.g. "Deputy manager audits 10 care records a '
        "month for 3 months against the updated policy and records results in the audit summary; target 95% "
        'compliant."',
        _assured,
    ),
    Phrase(
        "manager_to_monitor",
        _rx(
            # "RM to monitor", "Staff will monitor"; a bare "to monitor" only at the start ("To monitor falls").
            r"(?:^\s*|\b(?:@MANAGER@|@STAFF@)\s+)(?:to|will|shall|must|should|would|is\s+to|are\s+to"
            r"|continues?\s+to)\s+(?:continue\s+to\s+)?(?:closely\s+|carefully\s+)?@MONITOR@",
            r"\b(?:will|shall|must|should|continues?\s+to)\s+(?:continue\s+to\s+)?(?:closely\s+|carefully\s+)?"
            r"@MONITOR@",
            r"\bmonitor(?:s|ed|ing)?\s+(?:of\s+)?(?:[\w-]+\s+){0,2}?(?:compliance|progress|practice|performance"
            r"|standards?|the\s+situation|closely)\b",
            r"\b(?:to\s+be|will\s+be|being|be|is|are)\s+(?:closely\s+)?monitored\b",
            r"\b(?:close|closer|ongoing|on-going|continued|continuous|regular)\s+monitoring\b",
            r"\bmonitoring\b@W3@\s+(?:to\s+)?(?:continue|continues|ongoing|on-going|in\s+place)\b",
            r"\bkeep\w*\s+(?:[\w-]+\s+){0,2}?under\s+(?:close\s+)?review\b",
        ),
        'Saying someone will "monitor" without saying how and how often gives no way to tell whether it happened '
        "or what it found.",
        'Name the check, how often, where it is recorded and the target, e.g. "Registered manager audits 10 MAR '
        'charts every Friday for 8 weeks and records results in the medicines audit log; target 100% signed."',
        _says_how_and_how_often,
    ),
    Phrase(
        "improve_recording",
        _rx(
            r"\b(?:improv(?:e|es|ed|ing)|better|enhanc(?:e|es|ed|ing)|strengthen(?:s|ed|ing)?|tighten(?:s|ed|ing)?)"
            r"\s+(?:the\s+|their\s+|our\s+|staff\s+)?(?:(?:quality|standards?|accuracy|completeness)\s+of\s+"
            r"(?:the\s+)?)?(?:[\w-]+\s+){0,2}?@RECORDS@\b",
            r"\bimprovements?\s+(?:in|to)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?@RECORDS@\b",
            r"\b(?:recording|record[\s-]keeping|documentation|note[\s-]?taking|paperwork|notes)\b@W3@\s+"
            r"(?:(?:needs?|has|have|is|are|will|must|should|to|be|been)\s+){0,3}(?:improv(?:e|ed|ing)|better)\b",
        ),
        '"Improve recording" states an aim rather than an action, and does not say what good recording looks like '
        "or how it will be checked.",
        'Name the records, the standard and the check, e.g. "Senior carer checks all fluid charts at the end of '
        'every shift and records gaps in the daily management log; target 95% complete within 8 weeks."',
    ),
    Phrase(
        "training_only",
        _rx(
            r"\brefresher\s+(?:[\w-]+\s+){0,2}?(?:training|courses?|sessions?)\b",
            r"\b(?:re-?train(?:s|ed|ing)?)\b",
            r"\b(?:training|e-?learning)\b(?:\s+(?:has|have|was|were|is|are|been|be|to|will|being|now|all|and|also|again)){0,4}\s+"
            r"(?:delivered|refreshed|provided|completed|given|arranged|booked|undertaken|attended|organi[sz]ed"
            r"|rolled\s+out|carried\s+out|done|repeated|sourced|planned|scheduled|updated|offered)\b",
            r"\b(?:attend(?:s|ed|ing)?|complet(?:e|es|ed|ing)|undertak(?:e|es|en|ing)|underwent|receiv(?:e|es|ed|ing)"
            r"|redo(?:es|ne)?|repeat(?:s|ed|ing)?|deliver(?:s|ed|ing)?|provid(?:e|es|ed|ing)|arrang(?:e|es|ed|ing)"
            r"|book(?:s|ed|ing)?|refresh(?:es|ed|ing)?|access(?:es|ed|ing)?)\b@W3@\s+(?:refresher\s+)?"
            r"(?:training|e-?learning)\b",
            r"\btraining\s+(?:refresh|refresher|update)s?\b",
            r"\btoolbox\s+talks?\b",
        ),
        "Training is activity evidence: attendance shows a session was held, not that practice changed.",
        'Follow the training with an assurance measure, e.g. "Team leader observes each trained carer on 2 medicine '
        "rounds within 4 weeks and records competency sign-off in the practice competency log; target 100% signed "
        'off."',
        _assured,
    ),
    Phrase(
        "spot_checks_unquantified",
        _rx(r"\bspot[\s-]?check(?:s|ed|ing)?\b"),
        "Spot checks with no number or frequency cannot be counted, so nobody can tell whether enough were done.",
        'Say how many, how often, by whom and what passes, e.g. "Deputy manager completes 5 unannounced spot checks '
        'a week for 6 weeks and records them in the spot-check log; target 90% fully compliant."',
        _quantified,
    ),
    Phrase(
        "ensure_vague",
        _rx(r"\b(?:ensur(?:e|es|ed|ing)|make\s+sure|making\s+sure|made\s+sure)\b"),
        '"{phrase}" states an intention, not what anyone will actually do, so there is nothing to evidence.',
        'Replace it with the task that makes it happen and the check, e.g. "Team leader asks 3 staff each shift to '
        'describe the falls protocol and records answers in the supervision log; target 100% correct by 31 May."',
    ),
    Phrase(
        "awareness",
        _rx(
            r"\b(?:rais(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|improv(?:e|es|ed|ing)|promot(?:e|es|ed|ing)"
            r"|build(?:s|ing)?|heighten(?:s|ed|ing)?|reinforc(?:e|es|ed|ing))\s+(?:[\w-]+\s+){0,2}?awareness\b",
            r"\bawareness[\s-]+(?:raising|sessions?|campaigns?|training|days?|weeks?|posters?)\b",
            r"\bstaff\s+awareness\b",
            r"\b(?:made|make|making)\s+(?:[\w-]+\s+){0,2}?aware\b",
        ),
        "Raising awareness is activity evidence: it cannot be observed or counted, so it does not show that "
        "practice changed.",
        'Describe the behaviour you expect and an assurance measure, e.g. "Deputy manager observes 10 bedroom '
        "entries a week for 6 weeks and records them in the dignity observation log; target 100% knock and "
        'wait."',
        _assured,
    ),
    Phrase(
        "discuss_only",
        _rx(
            r"\b(?:discuss(?:es|ed|ing)?|shar(?:e|es|ed|ing)|rais(?:e|es|ed|ing)|cascad(?:e|es|ed|ing)"
            r"|feed(?:s|ing)?\s+back|fed\s+back|highlight(?:s|ed|ing)?|talk(?:s|ed|ing)?\s+(?:about|through))\b"
            r"@W5@\s+(?:at|in|during|via|through)\s+(?:(?:the|a|all|next|our|staff|team|monthly|weekly|daily)\s+)*"
            r"(?:[\w-]+\s+)?@MEETING@",
            r"\b@MEETING@\s+to\s+discuss\b",
            r"\badd(?:s|ed|ing)?\b@W3@\s+to\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?agenda\b",
            r"\bdiscuss(?:es|ed|ing)?\s+with\s+(?:all\s+)?(?:the\s+)?(?:staff|team|carers)\b",
        ),
        "Discussing it at a meeting is activity evidence: the minutes show it was raised, not that anything changed "
        "afterwards.",
        'Say what the meeting decides and add an assurance measure, e.g. "Registered manager presents the monthly '
        "falls audit at the team meeting, agrees one named action per unit and re-audits falls each month; target "
        '100% of falls reviewed within 48 hours."',
        _assured,
    ),
    Phrase(
        "open_ended",
        _rx(
            r"\bon-?going\b",
            r"@NOT_PRN_BEFORE@\bas\s+(?:and\s+when|required|appropriate|needed|necessary)\b@NOT_MEDICINE_AFTER@",
            r"@NOT_PRN_BEFORE@\b(?:when|where|if)\s+(?:required|appropriate|needed|necessary|possible)\b"
            r"@NOT_MEDICINE_AFTER@",
            r"\bas\s+soon\s+as\s+(?:possible|practicable)\b",
            r"\basap\b",
            r"\bin\s+due\s+course\b",
            r"\bgoing\s+forward\b",
        ),
        '"{phrase}" is open-ended: with no end point or trigger, the action can never be shown to be done.',
        'Replace it with a frequency, a trigger and an end date, e.g. "weekly for 8 weeks, then monthly once 100% '
        'is sustained; reviewed at the governance meeting on 30 June."',
    ),
    Phrase(
        "vague_frequency",
        _rx(
            r"\b(?:regularly|periodically|periodic|frequently|occasionally|routinely)\b",
            r"\bfrom\s+time\s+to\s+time\b",
            r"\bon\s+a\s+regular\s+basis\b",
            r"\bat\s+regular\s+intervals\b",
        ),
        '"{phrase}" is not a frequency anyone can check against.',
        'Give the actual interval and period, e.g. "every Monday for 8 weeks" or "on every night shift until 31 July".',
    ),
]

# Codes whose wording describes activity rather than assurance.
ACTIVITY_CODES = frozenset({"staff_reminded", "policy_reviewed", "training_only", "awareness", "discuss_only"})


# --------------------------------------------------------------------------------------
# Structural findings
# --------------------------------------------------------------------------------------

_STRUCTURAL = {
    ("empty", "action"): (
        "There is no text, so there is nothing to check.",
        "Describe the action: who does what, how often, where it is recorded and what target shows it worked.",
    ),
    ("empty", "step"): (
        "There is no text, so there is nothing to check.",
        'Describe the step: who does what and where it is recorded, e.g. "Senior carer checks 5 MAR charts each '
        'shift and records gaps in the daily management log."',
    ),
    ("no_measure", "action"): (
        "Nothing in this action can be counted or measured, so you will not be able to show it worked.",
        'Add a number, a frequency and a target, e.g. "Audit 10 care plans a month for 3 months; target 90% '
        'reviewed within 28 days."',
    ),
    ("no_measure", "step"): (
        "This step gives no number or frequency and does not say where the result is recorded, so nobody can check "
        "it was done.",
        'Say how many or how often and where it is written down, e.g. "Senior carer checks 5 MAR charts each shift '
        'and records gaps in the daily management log."',
    ),
    ("no_owner", "action"): (
        "No owner is named, so nobody is accountable for delivering this or reporting on it.",
        'Name one accountable person or role, e.g. "Deputy manager (Jane Smith)", even where several staff do the '
        "work.",
    ),
    ("no_owner", "step"): (
        "The step does not say who carries it out, so it can fall between shifts and roles.",
        'Say who does it, e.g. "Senior carer on each day shift" or "Registered manager".',
    ),
    ("no_date", "action"): (
        "There is no due date, so slippage cannot be spotted or escalated.",
        'Set a due date and a re-check, e.g. "Complete by 30 June; re-audit on 31 July before closure."',
    ),
    ("no_date", "step"): (
        "There is no due date, so slippage cannot be spotted or escalated.",
        'Set a due date for this step, e.g. "by 30 June", within the action\'s own deadline.',
    ),
}

STRUCTURAL_CODES = ("empty", "no_measure", "no_owner", "no_date")
CODES = tuple(phrase.code for phrase in PHRASES) + STRUCTURAL_CODES


def _structural(code: str, kind: str) -> Finding:
    message, suggestion = _STRUCTURAL[(code, kind)]
    return Finding(code=code, phrase="", message=message, suggestion=suggestion)


def _missing(value: object) -> bool:
    if value is NOT_CHECKED:
        return False
    return value is None or (isinstance(value, str) and not value.strip())


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def lint_wording(
    text: str | None,
    *,
    kind: str = "action",
    owner: object = NOT_CHECKED,
    who: object = NOT_CHECKED,
    due_date: object = NOT_CHECKED,
) -> list[Finding]:
    """Return weak-wording findings for an action's text (kind="action") or a step's "what" (kind="step").

    Phrase findings come first, in the order they appear in the text, then structural ones
    (no_measure, no_owner, no_date). Each code appears at most once. Empty text gives a single
    `empty` finding. `owner`, `who` and `due_date` are only checked when passed: `owner=None`
    or `who=""` gives `no_owner`, `due_date=None` gives `no_date`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    original = "" if text is None else str(text)
    if not original.strip():
        return [_structural("empty", kind)]
    normalised = original.translate(_TYPOGRAPHY)

    located: list[tuple[int, int, Finding]] = []
    for order, entry in enumerate(PHRASES):
        match = entry.pattern.search(normalised)
        if match is None or (entry.unless is not None and entry.unless(normalised)):
            continue
        phrase = original[match.start() : match.end()]
        message = entry.message.replace("{phrase}", phrase)
        located.append((match.start(), order, Finding(entry.code, phrase, message, entry.suggestion)))
    findings = [finding for _, _, finding in sorted(located, key=lambda item: item[:2])]

    measured = _has_measure(normalised) or (kind == "step" and bool(_RECORD_LOCATION.search(normalised)))
    if not measured:
        findings.append(_structural("no_measure", kind))
    if _missing(owner) or _missing(who):
        findings.append(_structural("no_owner", kind))
    if _missing(due_date):
        findings.append(_structural("no_date", kind))
    return findings
