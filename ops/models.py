from django.db import models


class Heartbeat(models.Model):
    """A worker loop's last round: each loop of each `manage.py worker` writes its own row
    after every round; /readyz and the metrics read them."""

    worker = models.CharField("ワーカー", max_length=100)  # host:pid
    loop = models.CharField("ループ", max_length=100)
    beat_at = models.DateTimeField("最終実行")

    class Meta:
        verbose_name = "ワーカーの生存確認"
        verbose_name_plural = "ワーカーの生存確認"
        ordering = ["-beat_at"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "loop"], name="heartbeat_worker_loop")
        ]
        indexes = [models.Index(fields=["beat_at"], name="heartbeat_beat_at")]

    def __str__(self) -> str:
        return f"{self.worker} {self.loop}"
