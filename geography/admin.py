from django.contrib import admin

from geography.models import Area, OfficeArea, Release

admin.site.register(Area)
admin.site.register(Release)
admin.site.register(OfficeArea)
