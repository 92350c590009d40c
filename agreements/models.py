from django.db import models
from django.db.models import Q
from django.utils import timezone


class AgreementVersionQuerySet(models.QuerySet):
    def current(self, at=None):
        """The version in force now: the newest one already effective."""
        at = at or timezone.now()
        return self.filter(effective_from__lte=at).order_by("-effective_from", "-version").first()


class AgreementVersion(models.Model):
    version = models.PositiveIntegerField("版", unique=True)
    title = models.CharField("表題", max_length=200)
    body = models.TextField("本文")
    # For English screens, for reference only: the Japanese body is the one agreed to (and
    # hashed in the consent record), so this may be added or corrected after acceptances.
    body_en = models.TextField("英語参考訳", blank=True)
    effective_from = models.DateTimeField("適用開始", default=timezone.now)

    objects = AgreementVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "同意書の版"
        verbose_name_plural = "同意書の版"
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="agreement_version_positive"),
        ]

    def __str__(self) -> str:
        return f"第{self.version}版 {self.title}"


class Acceptance(models.Model):
    """A line agreed to a version at a moment."""

    line = models.ForeignKey(
        "wso_portal.SubscriberLine",
        on_delete=models.CASCADE,
        related_name="acceptances",
        verbose_name="回線",
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="acceptances", verbose_name="版"
    )
    accepted_at = models.DateTimeField("同意日時", default=timezone.now)

    class Meta:
        verbose_name = "同意記録"
        verbose_name_plural = "同意記録"
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return (
            f"{self.line.flets_number} 第{self.version.version}版 {self.accepted_at:%Y-%m-%d %H:%M}"
        )
