# Refund, RefundRequest and Dispute move here from the payments app. Their tables, made by
# payments.0003, stay as they are (db_table): only Django's state changes, nothing in the database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('payments', '0003_refunds_disputes'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Dispute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider_dispute_id', models.CharField(db_collation='utf8mb4_bin', max_length=255, unique=True)),
                ('amount', models.IntegerField()),
                ('currency', models.CharField(max_length=3)),
                ('reason', models.CharField(blank=True, default='', max_length=64)),
                ('status', models.CharField(max_length=32)),
                ('opened_at', models.DateTimeField()),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='payments.payment')),
            ],
            options={
                'db_table': 'payments_dispute',
            },
        ),
        migrations.CreateModel(
            name='Refund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.IntegerField()),
                ('currency', models.CharField(max_length=3)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('succeeded', 'Succeeded'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('source', models.CharField(choices=[('staff', 'Staff'), ('provider', 'Provider'), ('dispute', 'Dispute')], max_length=10)),
                ('reason', models.CharField(blank=True, default='', max_length=500)),
                ('failure_reason', models.CharField(blank=True, default='', max_length=255)),
                ('provider_refund_id', models.CharField(blank=True, db_collation='utf8mb4_bin', max_length=255, null=True, unique=True)),
                ('requested_by', models.BigIntegerField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='payments.payment')),
            ],
            options={
                'db_table': 'payments_refund',
            },
        ),
        migrations.CreateModel(
            name='RefundRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(max_length=261)),
                ('key', models.CharField(max_length=255)),
                ('scoped_key_hash', models.CharField(max_length=64, unique=True)),
                ('fingerprint', models.CharField(max_length=64)),
                ('response_status', models.PositiveSmallIntegerField()),
                ('response_body', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('answered', models.BooleanField(default=False)),
                ('refund', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='refunds.refund')),
            ],
            options={
                'db_table': 'payments_refundrequest',
            },
        ),
        migrations.AddIndex(
            model_name='refund',
            index=models.Index(fields=['status', 'updated_at'], name='refund_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 1), ('amount__lte', 100000000)), name='refund_amount_range'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'succeeded', 'failed'])), name='refund_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.CheckConstraint(condition=models.Q(('source__in', ['staff', 'provider', 'dispute'])), name='refund_source_valid'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.CheckConstraint(condition=models.Q(('source', 'staff'), ('provider_refund_id__isnull', False), _connector='OR'), name='refund_reported_has_provider_id'),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
