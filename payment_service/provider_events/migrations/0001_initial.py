# ProviderEvent moves here from the payments app. Its table, made by payments.0001, stays as it
# is (db_table): only Django's state changes, nothing in the database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('payments', '0003_refunds_disputes'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='ProviderEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.CharField(db_collation='utf8mb4_bin', max_length=255, unique=True)),
                ('event_type', models.CharField(max_length=100)),
                ('intent_id', models.CharField(blank=True, db_collation='utf8mb4_bin', db_index=True, max_length=255, null=True)),
                ('payload', models.JSONField()),
                ('result', models.CharField(choices=[('received', 'Received'), ('processed', 'Processed'), ('no_change', 'No Change'), ('unknown_intent', 'Unknown Intent'), ('ignored', 'Ignored')], default='received', max_length=16)),
                ('received_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('payment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='provider_events', to='payments.payment')),
            ],
            options={
                'db_table': 'payments_providerevent',
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
