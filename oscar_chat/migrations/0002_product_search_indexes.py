"""Trigram indexes for the chat's product search, on PostgreSQL only.

Django's ``icontains`` becomes ``UPPER(col::text) LIKE UPPER('%...%')``; a pg_trgm GIN index
on exactly that expression serves it (and ``iexact``) instead of a full scan. Other
databases get nothing here and search with plain lookups. Without the right to create the
pg_trgm extension the indexes are skipped with a warning; search then still works, slower.
"""

import warnings

from django.db import migrations, transaction

# (app label, model, field): the columns product search matches with icontains/iexact.
SEARCHED_COLUMNS = [
    ("catalogue", "Product", "title"),
    ("catalogue", "Product", "upc"),
    ("partner", "StockRecord", "partner_sku"),
    ("catalogue", "ProductAttributeValue", "value_text"),
]


def _indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for app_label, model_name, field_name in SEARCHED_COLUMNS:
        model = apps.get_model(app_label, model_name)
        table = model._meta.db_table
        column = model._meta.get_field(field_name).column
        name = f"oscar_chat_trgm_{table}_{column}"[:63]
        yield name, table, f"UPPER({quote(column)}::text)"


def _has_trigram_extension(cursor):
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _has_trigram_extension(cursor):
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as error:  # noqa: BLE001 - e.g. no privilege: the search works without
                warnings.warn(
                    f"oscar_chat: pg_trgm is not available ({error}); product search runs without "
                    "trigram indexes. Run CREATE EXTENSION pg_trgm as a superuser, then "
                    "`manage.py migrate oscar_chat 0001` and then `manage.py migrate` to add them.",
                    stacklevel=1,
                )
                return
        for name, table, expression in _indexes(apps, schema_editor):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
                f"ON {schema_editor.quote_name(table)} USING gin ({expression} gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, _table, _expression in _indexes(apps, schema_editor):
            cursor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_chat", "0001_initial"),
        ("catalogue", "__first__"),
        ("partner", "__first__"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
