from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from qip.tenancy import TenantQuerySet
from qip.validators import normalise_postcode, validate_cqc_id, validate_postcode


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    REGISTERED_MANAGER = "registered_manager", "Registered manager"
    QUALITY_LEAD = "quality_lead", "Quality lead"
    NOMINATED_INDIVIDUAL = "nominated_individual", "Nominated individual"
    VIEWER = "viewer", "Viewer"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split(" ")[0]


class OrganisationQuerySet(TenantQuerySet):
    organisation_path = "pk"


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    cqc_provider_id = models.CharField("CQC provider ID", max_length=20, blank=True, validators=[validate_cqc_id])
    retention_years = models.PositiveSmallIntegerField(
        default=8, help_text="How long closed plans and their evidence are kept."
    )
    is_active = models.BooleanField(default=True)
    require_two_factor = models.BooleanField(
        "require two-factor sign-in for everyone",
        default=False,
        help_text="Nominated individuals, quality leads and admins always need it; this asks it of everyone.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceType(models.TextChoices):
    RESIDENTIAL = "residential", "Residential care home"
    NURSING = "nursing", "Nursing home"
    HOMECARE = "homecare", "Homecare (domiciliary care)"
    SUPPORTED_LIVING = "supported_living", "Supported living"
    OTHER = "other", "Other"


class LocationQuerySet(TenantQuerySet):
    location_path = "pk"

    def current(self):
        return self.filter(archived_at__isnull=True)


class Location(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    cqc_location_id = models.CharField("CQC location ID", max_length=20, blank=True, validators=[validate_cqc_id])
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    postcode = models.CharField(max_length=10, validators=[validate_postcode])
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="location_unique_name_in_org"),
            models.UniqueConstraint(
                fields=["organisation", "cqc_location_id"],
                condition=~models.Q(cqc_location_id=""),
                name="location_unique_cqc_id_in_org",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.postcode = normalise_postcode(self.postcode)
        self.cqc_location_id = (self.cqc_location_id or "").strip()
        super().save(*args, **kwargs)

    @property
    def is_archived(self):
        return self.archived_at is not None


class MembershipQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    locations = models.ManyToManyField(
        Location, blank=True, related_name="memberships", help_text="Leave empty for every location."
    )
    is_org_admin = models.BooleanField("organisation admin", default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "user__full_name"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique_user_org")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"

    @property
    def location_ids(self):
        """Listed location ids; empty means every location (uses the prefetch when present)."""
        return [location.pk for location in self.locations.all()]


class UserSession(models.Model):
    """Which session belongs to whom, so a deactivation can end them server-side."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"
