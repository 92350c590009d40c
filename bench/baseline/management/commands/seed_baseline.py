"""100,000 rows in each of the floor's tables, and N logged-in users' session keys."""

import random

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection

from bench.baseline.models import Customer, Item, Order, Visit
from bench.baseline.views import ROWS


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=32)

    def handle(self, *args, sessions, **options):
        if Item.objects.count() != ROWS:
            self.seed()
        User = get_user_model()
        users = [User.objects.get_or_create(username=f"bench{n:02d}")[0] for n in range(sessions)]
        # The write page's table back to its 100,000 rows: an earlier run's inserts go.
        Visit.objects.filter(pk__gt=ROWS).delete()
        if Visit.objects.count() != ROWS:
            self.seed_visits(users)
        keys = []
        for user in users:
            store = SessionStore()
            store["_auth_user_id"] = str(user.pk)
            store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            store["_auth_user_hash"] = user.get_session_auth_hash()
            store.create()
            keys.append(store.session_key)
        self.stdout.write("\n".join(keys))

    def seed(self):
        rng = random.Random(1)
        Order.objects.all().delete()
        Customer.objects.all().delete()
        Item.objects.all().delete()
        Customer.objects.bulk_create(
            (Customer(id=n, name=f"顧客{n}") for n in range(1, ROWS + 1)), batch_size=10_000
        )
        Order.objects.bulk_create(
            (
                Order(customer_id=rng.randint(1, ROWS), total=rng.randint(100, 99_999))
                for _ in range(ROWS)
            ),
            batch_size=10_000,
        )
        Item.objects.bulk_create(
            (
                Item(id=n, category=(n - 1) // 40 + 1, name=f"商品{n}", price=rng.randint(1, 9999))
                for n in range(1, ROWS + 1)
            ),
            batch_size=10_000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def seed_visits(self, users):
        rng = random.Random(2)
        Visit.objects.all().delete()
        Visit.objects.bulk_create(
            (Visit(id=n, user=rng.choice(users), path="/write/") for n in range(1, ROWS + 1)),
            batch_size=10_000,
        )
        # Past the ids given here, so that the page's inserts number on from ROWS + 1.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Visit]):
                cursor.execute(sql)
            cursor.execute("ANALYZE baseline_visit")
