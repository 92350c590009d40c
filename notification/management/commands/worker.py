"""The 工事 worker: `manage.py worker` applies due applications and sends the completion mails,
and runs the other rounds listed in WSO_WORKER_TASKS (the providers' webhook deliveries), each in
a loop of its own so that a slow provider never holds up the 工事.

A plain management command rather than Django's task framework backport: it needs no extra
dependency, the work already lives in the database (an application is its own queue entry), and
the claim (SELECT … FOR UPDATE SKIP LOCKED) and the exactly-once rules stay in our code where the
tests can see them. Run as many as needed; they share the work through the row locks.
"""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from ops.heartbeat import beat

logger = logging.getLogger("notification.worker")


def run_round(task, stop: threading.Event, poll: float) -> None:
    try:
        task(should_stop=stop.is_set)
        beat(task.__name__)  # only a round that ended well: a loop failing every round is stale
    except Exception:
        # A database outage or the like: the work is still in the database.
        logger.exception("ワーカーでエラー (%s): %s秒後に再試行します", task.__name__, poll)


def run_loop(task, stop: threading.Event, poll: float) -> None:
    try:
        while not stop.is_set():
            run_round(task, stop, poll)
            stop.wait(poll)
            # A long-lived process: drop a connection that broke or outlived CONN_MAX_AGE.
            close_old_connections()
    finally:
        connection.close()


class Command(BaseCommand):
    help = "工事ワーカー: 工事予定日時を過ぎた申込を適用し、工事完了通知メールを送信します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="いま処理できるものだけ処理して終了します。"
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=None,
            help="待機間隔（秒）。既定は WSO_WORKER_POLL_SECONDS。",
        )

    def handle(self, *args, once=False, poll=None, **options):
        poll = settings.WSO_WORKER_POLL_SECONDS if poll is None else poll
        stop = threading.Event()

        def request_stop(signum, frame):
            # Only a flag: the application in hand is finished, nothing new is started.
            if not stop.is_set():
                logger.info(
                    "%s を受信: 処理中の申込を終えて停止します", signal.Signals(signum).name
                )
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        logger.info(
            "工事ワーカー開始 (工事までの待ち時間 %s秒, 確認間隔 %s秒)",
            settings.WSO_WORK_DELAY,
            poll,
        )
        tasks = [import_string(path) for path in settings.WSO_WORKER_TASKS]
        if settings.WSO_WORKER_METRICS_PORT and not once:
            from ops.metrics import serve_worker_metrics

            serve_worker_metrics(
                settings.WSO_WORKER_METRICS_PORT, settings.WSO_WORKER_METRICS_ADDRESS
            )
        try:
            if once:
                for task in tasks:
                    run_round(task, stop, poll)
            else:
                loops = [
                    threading.Thread(target=run_loop, args=(task, stop, poll), daemon=True)
                    for task in tasks
                ]
                for loop in loops:
                    loop.start()
                for loop in loops:
                    loop.join()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        logger.info("工事ワーカー停止")
