"""Which rows belong to one organisation, and the order in which a restore inserts them.

Each table is (model label, lookup, source): rows whose `lookup` equals the organisation's id, the
organisation's audit chain key, or one of the people its rows refer to. Labels, not imports: qip
sits below the apps whose models it names here.

The order follows foreign keys with one exception: closure requests and sign-offs go before
actions, because the database's closure trigger looks for a closed action's approved sign-off when
the action is inserted. Foreign keys are checked at commit (Django creates them deferred on
PostgreSQL and SQLite), so the sign-off may point at an action inserted a moment later.
"""

ORGANISATION = "organisation"
CHAIN = "chain"
PEOPLE = "people"

TABLES = [
    ("qip.user", "pk", PEOPLE),
    ("qip.organisation", "pk", ORGANISATION),
    ("qip.location", "organisation", ORGANISATION),
    ("qip.membership", "organisation", ORGANISATION),
    ("qip.membership_locations", "membership__organisation", ORGANISATION),
    ("qip.plan", "organisation", ORGANISATION),
    ("qip.plan_locations", "plan__organisation", ORGANISATION),
    ("qip.plan_quality_statements", "plan__organisation", ORGANISATION),
    ("qip.plan_regulations", "plan__organisation", ORGANISATION),
    ("governance.closurerequest", "organisation", ORGANISATION),
    ("governance.signoff", "closure_request__organisation", ORGANISATION),
    ("actions.action", "plan__organisation", ORGANISATION),
    ("actions.step", "action__plan__organisation", ORGANISATION),
    ("actions.closurecriteria", "action__plan__organisation", ORGANISATION),
    ("evidence.evidenceitem", "organisation", ORGANISATION),
    ("evidence.evidencefile", "evidence__organisation", ORGANISATION),
    ("evidence.measure", "action__plan__organisation", ORGANISATION),
    ("evidence.measurereading", "measure__action__plan__organisation", ORGANISATION),
    ("evidence.concern", "action__plan__organisation", ORGANISATION),
    ("governance.postclosurecheck", "action__plan__organisation", ORGANISATION),
    ("governance.reopening", "action__plan__organisation", ORGANISATION),
    ("governance.review", "plan__organisation", ORGANISATION),
    ("governance.review_evidence_seen", "review__plan__organisation", ORGANISATION),
    ("governance.reviewline", "review__plan__organisation", ORGANISATION),
    ("governance.cadencechange", "plan__organisation", ORGANISATION),
    # A digest can hold notifications of several organisations; it goes with each of them.
    ("governance.digestsend", "items__organisation", ORGANISATION),
    ("governance.notification", "organisation", ORGANISATION),
    ("governance.notificationpreference", "user", PEOPLE),
    # Two-factor sign-in goes with the person: restoring them without it would let anyone holding a
    # password set up their own phone. The keys are as secret as the password hashes.
    ("otp_totp.totpdevice", "user", PEOPLE),
    ("otp_static.staticdevice", "user", PEOPLE),
    ("otp_static.statictoken", "device__user", PEOPLE),
    ("governance.pack", "organisation", ORGANISATION),
    ("governance.pack_chosen_locations", "pack__organisation", ORGANISATION),
    ("governance.pack_plans", "pack__organisation", ORGANISATION),
    ("governance.pack_locations", "pack__organisation", ORGANISATION),
    ("qip.auditevent", "chain", CHAIN),
    ("qip.auditchainhead", "chain", CHAIN),
]

# CQC reference data: shared by every organisation, matched on restore by these fields (ids may
# differ between databases), inserted only when missing. Parents come before children.
REFERENCE = {
    "qip.framework": ("code",),
    "qip.keyquestion": ("framework_id", "slug"),
    "qip.qualitystatement": ("key_question_id", "slug"),
    "qip.evidencecategory": ("framework_id", "slug"),
    "qip.regulation": ("framework_id", "number"),
}

# Every other model of the project's apps, with the reason it stays out of an export.
NOT_EXPORTED = {
    "qip.usersession": "sign-in sessions belong to the server that made them; people sign in again",
    "qip.user_groups": "Django groups are not used by the app",
    "qip.user_user_permissions": "Django model permissions are not used by the app",
    "qip.submittedform": "tokens of forms already sent; they only matter for the minutes a form is open",
}

PROJECT_APPS = ("qip", "actions", "evidence", "governance")
