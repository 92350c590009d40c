from django.conf import settings
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    name = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    created = models.DateTimeField(default=timezone.now)
    total = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["customer", "created"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.total}"


class Item(models.Model):
    category = models.IntegerField()
    name = models.CharField(max_length=100)
    price = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["category", "id"])]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """The write page's log: 100,000 rows, two indexes besides the key, a row added per request
    for the logged-in user, as a look-up adds one for its line."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    path = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.path}"
