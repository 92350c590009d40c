"""Operators' admin logins are counted and locked like subscribers': an account kind on each
attempt, an operator kind of lock, and room for a username (150 characters)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('wso_portal', '0004_login_address_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='loginattempt',
            name='kind',
            field=models.CharField(choices=[('line', '回線'), ('operator', '運用者')], default='line', max_length=10, verbose_name='種別'),
        ),
        migrations.AlterField(
            model_name='lockout',
            name='key',
            field=models.CharField(max_length=150, verbose_name='対象'),
        ),
        migrations.AlterField(
            model_name='lockout',
            name='kind',
            field=models.CharField(choices=[('line', '回線'), ('address', '接続元'), ('operator', '運用者')], max_length=10, verbose_name='種別'),
        ),
        migrations.AlterField(
            model_name='loginattempt',
            name='flets_number',
            field=models.CharField(db_index=True, max_length=150, verbose_name='アカウント'),
        ),
    ]
