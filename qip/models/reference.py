"""CQC reference data, versioned by framework.

A later framework is added beside SAF-2023 as a new Framework row; anything
linked to a quality statement keeps pointing at the version it was made against.
"""

from django.db import models


class Framework(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    regulations_source = models.CharField(max_length=300, blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class KeyQuestion(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="key_questions")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [models.UniqueConstraint(fields=["framework", "slug"], name="key_question_unique_slug")]

    def __str__(self):
        return self.name


class QualityStatement(models.Model):
    key_question = models.ForeignKey(KeyQuestion, on_delete=models.PROTECT, related_name="quality_statements")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["key_question__framework", "key_question__order", "order"]
        constraints = [models.UniqueConstraint(fields=["key_question", "slug"], name="quality_statement_unique_slug")]

    def __str__(self):
        return f"{self.key_question.name}: {self.name}"


class EvidenceCategory(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="evidence_categories")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        verbose_name_plural = "evidence categories"
        constraints = [models.UniqueConstraint(fields=["framework", "slug"], name="evidence_category_unique_slug")]

    def __str__(self):
        return self.name


class Regulation(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="regulations")
    number = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [models.UniqueConstraint(fields=["framework", "number"], name="regulation_unique_number")]

    def __str__(self):
        return f"Regulation {self.number}: {self.title}"
