"""The PostgreSQL-only migration: trigram indexes on exactly what product search asks for."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from oscar.core.loading import get_model

migration = importlib.import_module("oscar_chat.migrations.0002_product_search_indexes")

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")

INDEXES = {
    "oscar_chat_trgm_catalogue_product_title": lambda: Product.objects.filter(title__icontains="kopi"),
    "oscar_chat_trgm_catalogue_product_upc": lambda: Product.objects.filter(upc__iexact="8991001000011"),
    "oscar_chat_trgm_partner_stockrecord_partner_sku": lambda: StockRecord.objects.filter(
        partner_sku__icontains="sku-00"
    ),
    "oscar_chat_trgm_catalogue_productattributevalue_value_text": lambda: ProductAttributeValue.objects.filter(
        value_text__icontains="gayo"
    ),
}


def index_names():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'oscar_chat_trgm_%%'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_planner_uses_the_indexes_for_djangos_own_lookups(needs_postgres):
    assert index_names() == set(INDEXES)
    with connection.cursor() as cursor:
        # Tiny test tables would be scanned anyway; this asks whether an index CAN serve the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
    for name, queryset in INDEXES.items():
        assert name in queryset().order_by().explain(), name


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_migration_can_be_reversed_and_applied_again(needs_postgres):
    with connection.schema_editor() as editor:
        migration.drop_indexes(apps, editor)
    assert index_names() == set()
    with connection.schema_editor() as editor:
        migration.create_indexes(apps, editor)
    assert index_names() == set(INDEXES)


@pytest.mark.django_db
def test_other_databases_get_no_index_and_search_with_plain_lookups(catalogue, api, customer):
    # A connection of another vendor, with no cursor: the migration must return before using it.
    other_database = type("Connection", (), {"vendor": "sqlite"})()
    editor = type("SchemaEditor", (), {"connection": other_database})()
    migration.create_indexes(apps, editor)
    catalogue.product("Kopi Arabika Gayo", sku="SKU-1")
    response = api(customer).get("/api/chat/products/search", {"q": "arabika"})
    assert [card["title"] for card in response.json()["results"]] == ["Kopi Arabika Gayo"]
