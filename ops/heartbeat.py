"""Each loop of `manage.py worker` says it is alive after every round it finishes."""

import os
import socket
from datetime import timedelta

from django.utils import timezone

from .models import Heartbeat

FORGOTTEN_AFTER = timedelta(days=1)


def beat(loop: str) -> None:
    now = timezone.now()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    if not Heartbeat.objects.filter(worker=worker, loop=loop).update(beat_at=now):
        Heartbeat.objects.create(worker=worker, loop=loop, beat_at=now)
        # A worker that started: the rows of those stopped long ago go.
        Heartbeat.objects.filter(beat_at__lt=now - FORGOTTEN_AFTER).delete()
