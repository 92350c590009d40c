from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "サービス申込受付ページ 運用管理"
admin.site.site_title = "WSO 運用管理"
admin.site.index_title = "運用管理"

# Without requires_csrf_token, unlike Django's own: a request refused because its form cannot be
# read would otherwise fail again while the error page reads it (and end as an empty 500).
handler400 = "wso_portal.views.bad_request"
handler403 = "wso_portal.views.permission_denied"
handler404 = "wso_portal.views.page_not_found"
handler500 = "wso_portal.views.server_error"

urlpatterns = [
    path("", include("wso_portal.portal_urls")),
    path("notification/", include("notification.urls")),
    path("agreements/", include("agreements.urls")),
    path("disclosures/", include("providers.urls")),
    path("api/", include("providers.api_urls")),
    path("provider/", include("console.urls")),
    path("admin/", admin.site.urls),
]
