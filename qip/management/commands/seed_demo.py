from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qip import audit, services, two_factor
from qip.models import Location, Membership, Organisation, Role, ServiceType, User

PASSWORD = "demo-password-2026"

ORGANISATIONS = [
    {
        "name": "Example Care Group",
        "cqc_provider_id": "1-101000001",
        "locations": [
            ("Oak House", ServiceType.RESIDENTIAL, "1-110000001", "LS6 2AB"),
            ("Riverside Homecare", ServiceType.HOMECARE, "1-110000002", "LS11 5QT"),
            ("Maple Court Supported Living", ServiceType.SUPPORTED_LIVING, "1-110000003", "BD1 4HN"),
        ],
    },
    {
        "name": "Northgate Homecare",
        "cqc_provider_id": "1-101000002",
        "locations": [("Northgate Homecare Branch", ServiceType.HOMECARE, "1-120000001", "YO1 7HH")],
    },
]

# (email, name, organisation, role, locations, organisation admin)
PEOPLE = [
    ("admin@example.com", "Alex Morgan", "Example Care Group", Role.VIEWER, [], True),
    ("ni@example.com", "Priya Shah", "Example Care Group", Role.NOMINATED_INDIVIDUAL, [], False),
    ("quality@example.com", "Tom Okafor", "Example Care Group", Role.QUALITY_LEAD, [], False),
    ("manager@example.com", "Sarah Jones", "Example Care Group", Role.REGISTERED_MANAGER, ["Oak House"], False),
    (
        "homecare.manager@example.com",
        "Daniel Reid",
        "Example Care Group",
        Role.REGISTERED_MANAGER,
        ["Riverside Homecare"],
        False,
    ),
    (
        "maple.manager@example.com",
        "Nadia Begum",
        "Example Care Group",
        Role.REGISTERED_MANAGER,
        ["Maple Court Supported Living"],
        False,
    ),
    ("staff@example.com", "Amir Khan", "Example Care Group", Role.STAFF, ["Oak House"], False),
    ("viewer@example.com", "Helen Price", "Example Care Group", Role.VIEWER, ["Riverside Homecare"], False),
    ("quality@example.com", "Tom Okafor", "Northgate Homecare", Role.QUALITY_LEAD, [], False),
    ("northgate.admin@example.com", "Grace Lee", "Northgate Homecare", Role.NOMINATED_INDIVIDUAL, [], True),
]


class Command(BaseCommand):
    help = (
        "Create the demo organisations, one login per role and five example plans at different stages. "
        "Running it again changes nothing."
    )

    def handle(self, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo never runs with DJANGO_ENV=production.")
        # governance sits above qip: imported here, never at module level.
        from governance import demo

        with transaction.atomic():
            created = self.seed()
            backup_codes = {
                user.email: two_factor.enrol_for_demo(user)
                for user in User.objects.filter(email__in=[person[0] for person in PEOPLE])
                if two_factor.must_use(user)
            }
            example = Organisation.objects.get(name=demo.ORGANISATION)
            created += demo.seed_plans(example, password=PASSWORD)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new records)."))
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for email, _name, organisation, role, locations, admin in PEOPLE:
            where = ", ".join(locations) or "all locations"
            extra = ", organisation admin" if admin else ""
            self.stdout.write(f"  {email:<32} {Role(role).label} at {organisation} ({where}{extra})")
        self.stdout.write(
            "Two-factor sign-in (nominated individuals, quality leads, admins): add the demo key "
            f"{two_factor.demo_secret()} to an authenticator app, or use one of each person's backup codes:"
        )
        for email, codes in backup_codes.items():
            self.stdout.write(f"  {email:<32} {', '.join(codes[:3])} …")
        self.stdout.write(f"Demo plans at {example.name}:")
        for line in demo.summary_lines(example):
            self.stdout.write(f"  {line}")

    def seed(self):
        created = 0
        organisations = {}
        for spec in ORGANISATIONS:
            organisation = Organisation.objects.filter(name=spec["name"]).first()
            if organisation is None:
                organisation = Organisation.objects.create(name=spec["name"], cqc_provider_id=spec["cqc_provider_id"])
                audit.record(action="organisation.created", organisation=organisation, obj=organisation)
                created += 1
            organisations[spec["name"]] = organisation
            for name, service_type, cqc_id, postcode in spec["locations"]:
                if not Location.objects.filter(organisation=organisation, name=name).exists():
                    services.add_location(
                        actor=None,
                        organisation=organisation,
                        name=name,
                        service_type=service_type,
                        postcode=postcode,
                        cqc_location_id=cqc_id,
                    )
                    created += 1
        for email, name, organisation_name, role, location_names, admin in PEOPLE:
            organisation = organisations[organisation_name]
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, full_name=name, password=PASSWORD)
                created += 1
            if Membership.objects.filter(user=user, organisation=organisation).exists():
                continue
            services.invite_person(
                actor=None,
                organisation=organisation,
                email=email,
                full_name=name,
                role=role,
                locations=list(Location.objects.filter(organisation=organisation, name__in=location_names)),
                is_org_admin=admin,
                notify=False,
            )
            created += 1
        return created
