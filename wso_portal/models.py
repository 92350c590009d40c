import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

FLETS_NUMBER_PATTERN = r"^[0-9]{11}$"
CUSTOMER_ID_PATTERN = r"^CAF[0-9]{10}$"
IPV6_PREFIX_PATTERN = r"^[0-9a-f:]+/(48|56|64)$"
# What the NGN delegates to a line.
PREFIX_LENGTHS = (48, 56, 64)


def validate_ipv6_prefix(value: str) -> None:
    try:
        network = ipaddress.IPv6Network(value, strict=True)
    except ValueError as exc:
        raise ValidationError("IPv6プレフィックスの形式が正しくありません。") from exc
    if network.prefixlen not in PREFIX_LENGTHS:
        raise ValidationError("IPv6プレフィックス長は /48、/56 または /64 です。")
    if str(network) != value:
        raise ValidationError(f"IPv6プレフィックスは正規形 {network} で入力してください。")


def address_key(address: ipaddress.IPv6Address) -> str:
    """An address as 32 hex digits: compared as text, these sort as the addresses do."""
    return f"{int(address):032x}"


# Each prefix length's network mask: an address's prefix starts at the address with the rest
# of its bits cleared (a look-up of 100 addresses computes 300 of them).
NETWORK_MASKS = [((1 << 128) - 1) ^ ((1 << (128 - length)) - 1) for length in PREFIX_LENGTHS]


def candidate_keys(address: ipaddress.IPv6Address) -> list[str]:
    """The first address of each prefix a line holding `address` could have."""
    value = int(address)
    return [f"{value & mask:032x}" for mask in NETWORK_MASKS]


def prefix_range(prefix: str) -> tuple[str, str]:
    network = ipaddress.IPv6Network(prefix)
    return address_key(network.network_address), address_key(network.broadcast_address)


class SubscriberLine(models.Model):
    """One フレッツ 光ネクスト line: one login, one お客様ID."""

    class Status(models.TextChoices):
        ACTIVE = "active", "利用中"
        SUSPENDED = "suspended", "利用停止中"
        CANCELLED = "cancelled", "解約済み"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="line",
        verbose_name="ログインアカウント",
    )
    flets_number = models.CharField(
        "フレッツナンバー",
        max_length=11,
        unique=True,
        validators=[RegexValidator(FLETS_NUMBER_PATTERN, "フレッツナンバーは半角数字11桁です。")],
    )
    customer_id = models.CharField(
        "お客様ID",
        max_length=13,
        unique=True,
        validators=[RegexValidator(CUSTOMER_ID_PATTERN, "お客様IDは「CAF」と数字10桁です。")],
    )
    ipv6_prefix = models.CharField(
        "IPv6プレフィックス", max_length=43, validators=[validate_ipv6_prefix]
    )
    # The prefix's first and last address (address_key), kept by save(): look-ups find a line
    # by equality on prefix_start, overlap checks compare ranges.
    prefix_start = models.CharField("先頭アドレス", max_length=32, unique=True, editable=False)
    prefix_end = models.CharField("末尾アドレス", max_length=32, editable=False)
    status = models.CharField("状態", max_length=10, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "回線"
        verbose_name_plural = "回線"
        ordering = ["flets_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(flets_number__regex=FLETS_NUMBER_PATTERN),
                name="line_flets_number_format",
            ),
            models.CheckConstraint(
                condition=Q(customer_id__regex=CUSTOMER_ID_PATTERN),
                name="line_customer_id_format",
            ),
            models.CheckConstraint(
                condition=Q(ipv6_prefix__regex=IPV6_PREFIX_PATTERN),
                name="line_ipv6_prefix_format",
            ),
            models.CheckConstraint(
                condition=Q(prefix_start__regex=r"^[0-9a-f]{32}$")
                & Q(prefix_end__regex=r"^[0-9a-f]{32}$")
                & Q(prefix_start__lt=models.F("prefix_end")),
                name="line_prefix_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "cancelled"]),
                name="line_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flets_number} ({self.customer_id})"

    def save(self, *args, **kwargs):
        try:
            self.prefix_start, self.prefix_end = prefix_range(self.ipv6_prefix)
        except ValueError:
            # Not a prefix: the database's format constraints refuse the row.
            self.prefix_start = self.prefix_end = ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "ipv6_prefix" in update_fields:
            kwargs["update_fields"] = {*update_fields, "prefix_start", "prefix_end"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        try:
            self.prefix_start, self.prefix_end = prefix_range(self.ipv6_prefix)
        except ValueError:
            return  # the field's own validator reports it
        other = self.overlapping_line()
        if other is not None:
            raise ValidationError(
                {
                    "ipv6_prefix": f"IPv6プレフィックスが回線 {other.flets_number} の "
                    f"{other.ipv6_prefix} と重なっています。"
                }
            )

    @property
    def network(self) -> ipaddress.IPv6Network:
        return ipaddress.IPv6Network(self.ipv6_prefix)

    def overlapping_line(self) -> "SubscriberLine | None":
        """Another line whose prefix overlaps this one's. Lines never overlap each other, so
        the one starting last before this prefix ends is the only one that can."""
        others = SubscriberLine.objects.filter(prefix_start__lte=self.prefix_end)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        other = others.order_by("-prefix_start").first()
        if other is not None and other.prefix_end >= self.prefix_start:
            return other
        return None

    def owns_address(self, address: str) -> bool:
        try:
            return ipaddress.ip_address(address) in self.network
        except ValueError:
            return False


class ServiceStatus(models.TextChoices):
    """ご利用状況 words of the top page."""

    IN_USE = "利用中", "利用中"
    REGISTERING = "登録中", "登録中"
    CHANGING = "変更中", "変更中"
    ENDING = "廃止中", "廃止中"
    NOT_CONTRACTED = "未契約", "未契約"
    NOTIFY = "通知", "通知"
    NONE = "---", "---"


class Service(models.Model):
    """One row of the top page's table."""

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", "回線情報通知機能 (通知設定から算出)"
        CONTRACT = "contract", "契約サービス"

    code = models.SlugField("コード", max_length=40, unique=True)
    name = models.CharField("サービス名", max_length=80)
    kind = models.CharField("種別", max_length=20, choices=Kind, default=Kind.CONTRACT)
    button_label = models.CharField("ボタン", max_length=20, default="詳細・申込・変更")
    default_status = models.CharField(
        "契約がない場合のご利用状況",
        max_length=10,
        choices=ServiceStatus,
        default=ServiceStatus.NOT_CONTRACTED,
    )
    description = models.TextField("説明", blank=True)
    position = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        verbose_name = "サービス"
        verbose_name_plural = "サービス"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["notification", "contract"]), name="service_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceContract(models.Model):
    """A line's contract (or application) for one service; a service may have several."""

    line = models.ForeignKey(
        SubscriberLine, on_delete=models.CASCADE, related_name="contracts", verbose_name="回線"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="contracts", verbose_name="サービス"
    )
    status = models.CharField(
        "ご利用状況",
        max_length=10,
        choices=[
            (s.value, s.label)
            for s in (
                ServiceStatus.IN_USE,
                ServiceStatus.REGISTERING,
                ServiceStatus.CHANGING,
                ServiceStatus.ENDING,
            )
        ],
        default=ServiceStatus.IN_USE,
    )
    plan = models.CharField("契約内容", max_length=100, blank=True)
    started_on = models.DateField("開始日", null=True, blank=True)

    class Meta:
        verbose_name = "サービス契約"
        verbose_name_plural = "サービス契約"
        ordering = ["service__position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["利用中", "登録中", "変更中", "廃止中"]),
                name="contract_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line.flets_number} {self.service.name} {self.status}"


class AnnouncementQuerySet(models.QuerySet):
    def published(self, at=None):
        at = at or timezone.now()
        return self.filter(publish_from__lte=at).filter(
            Q(publish_until__isnull=True) | Q(publish_until__gt=at)
        )


class Announcement(models.Model):
    """NTT西日本からのお知らせ."""

    text = models.TextField("本文")
    publish_from = models.DateTimeField("掲載開始", default=timezone.now)
    publish_until = models.DateTimeField("掲載終了", null=True, blank=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = "お知らせ"
        verbose_name_plural = "お知らせ"
        ordering = ["-publish_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(publish_until__isnull=True)
                | Q(publish_until__gt=models.F("publish_from")),
                name="announcement_window_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


def address_lock_key(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else ip)


class LoginAttempt(models.Model):
    """Every login try, a subscriber's or an operator's, kept to count failures for the lockout
    (never the access key or the password)."""

    class Kind(models.TextChoices):
        # The same values as the account's Lockout.Kind.
        LINE = "line", "回線"
        OPERATOR = "operator", "運用者"
        PROVIDER = "provider", "事業者"

    kind = models.CharField("種別", max_length=10, choices=Kind, default=Kind.LINE)
    # A line's フレッツナンバー, or the username an operator typed (up to a username's length).
    flets_number = models.CharField("アカウント", max_length=150, db_index=True)
    client_address = models.GenericIPAddressField("接続元")
    # What the address lock counts: the /64 of an IPv6 client (which may rotate within it), an
    # IPv4 address as it is (address_lock_key).
    address_key = models.CharField("接続元 (ロック単位)", max_length=43, db_index=True)
    succeeded = models.BooleanField("成功")
    reason = models.CharField("結果", max_length=30)
    at = models.DateTimeField("日時", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "ログイン記録"
        verbose_name_plural = "ログイン記録"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.flets_number} {self.reason}"


class Lockout(models.Model):
    """A line, an operator's username or a client address that may not log in until `until`."""

    class Kind(models.TextChoices):
        LINE = "line", "回線"
        ADDRESS = "address", "接続元"
        OPERATOR = "operator", "運用者"
        PROVIDER = "provider", "事業者"

    kind = models.CharField("種別", max_length=10, choices=Kind)
    key = models.CharField("対象", max_length=150)
    until = models.DateTimeField("解除日時")
    created_at = models.DateTimeField("ロック日時", default=timezone.now)

    class Meta:
        verbose_name = "ロック"
        verbose_name_plural = "ロック"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "key", "until"], name="lockout_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ～{self.until:%H:%M}"
