# Refund, RefundRequest and Dispute now belong to the refunds app, ProviderEvent to
# provider_events (their 0001 migrations). Their tables stay: this removes them from the payments
# app's state only, and moves their content types (admin log entries, permissions) with them.

from django.db import migrations

MOVED = {
    'refund': 'refunds',
    'refundrequest': 'refunds',
    'dispute': 'refunds',
    'providerevent': 'provider_events',
}


def content_types_move(apps, schema_editor, backwards=False):
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(
        schema_editor.connection.alias
    )
    for model, app in MOVED.items():
        old, new = (app, 'payments') if backwards else ('payments', app)
        if content_types.filter(app_label=new, model=model).exists():
            continue  # made already (after a later migrate); the stale one is left to Django
        content_types.filter(app_label=old, model=model).update(app_label=new)


def content_types_move_back(apps, schema_editor):
    content_types_move(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('payments', '0003_refunds_disputes'),
        ('provider_events', '0001_initial'),
        ('refunds', '0001_initial'),
    ]

    state_operations = [
        migrations.RemoveField(
            model_name='providerevent',
            name='payment',
        ),
        migrations.RemoveField(
            model_name='refund',
            name='payment',
        ),
        migrations.RemoveField(
            model_name='refundrequest',
            name='refund',
        ),
        migrations.DeleteModel(
            name='Dispute',
        ),
        migrations.DeleteModel(
            name='ProviderEvent',
        ),
        migrations.DeleteModel(
            name='Refund',
        ),
        migrations.DeleteModel(
            name='RefundRequest',
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
