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
