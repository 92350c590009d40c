from django.urls import path

app_name = "providers"

# 提供履歴 (the subscriber's view of the disclosure log).
urlpatterns: list = []
