"""Product search latency on a generated catalogue in PostgreSQL, with and without the trigram indexes.

    .venv/bin/python benchmarks/product_search.py [--products 100000] [--runs 40]
        [--server postgres://postgres@127.0.0.1:5432/postgres] [--keep]

Creates a scratch database on the server, migrates it, bulk-inserts the catalogue (standalone
products, parents with variants, some hidden ones, a brand per product, a category, a stock
record with SKU and price), then runs searches of several kinds through the code the API uses
(``search_products`` + ``build_cards``) and reports p50/p95 in milliseconds:

- first without oscar_chat's trigram indexes (dropped by the migration's own reverse),
- then with them (created by the migration's own forward),
- and, for comparison, one OR query across the joins (what a naive search would do).

The scratch database is dropped at the end unless --keep is given.
"""

import argparse
import os
import random
import statistics
import string
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOUNS = [
    "kopi",
    "teh",
    "sambal",
    "kecap",
    "keripik",
    "batik",
    "kebaya",
    "sarung",
    "sandal",
    "tas",
    "earbuds",
    "speaker",
    "headphones",
    "charger",
    "keyboard",
    "mouse",
    "smartwatch",
    "wajan",
    "cobek",
    "lampu",
    "sprei",
    "diffuser",
    "sabun",
    "masker",
    "jamu",
    "minyak",
    "kemeja",
    "celana",
    "jaket",
    "topi",
    "dompet",
    "sepatu",
    "gelas",
    "piring",
    "sendok",
    "bantal",
    "selimut",
    "handuk",
    "payung",
    "botol",
]
ADJECTIVES = [
    "premium",
    "organik",
    "pedas",
    "manis",
    "modern",
    "klasik",
    "mini",
    "pro",
    "digital",
    "wireless",
    "silent",
    "anti lengket",
    "handmade",
    "asli",
    "tulis",
    "cap",
    "tenun",
    "kulit",
    "rotan",
    "bambu",
    "katun",
    "sutra",
]
SIZES = ["100g", "250g", "500g", "1kg", "S", "M", "L", "XL", "28cm", "60ml", "1.8L", "20000mAh", "65W"]
SYLLABLES = ["ka", "ra", "su", "da", "ya", "ga", "lo", "mi", "ta", "ne", "po", "ri", "sa", "wa", "ju", "be"]


def brand_names(count, rng):
    names = set()
    while len(names) < count:
        names.add(
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
            + " "
            + rng.choice(["Nusantara", "Lestari", "Jaya", "Abadi", "Makmur", "Sentosa", "Craft", "Living"])
        )
    return sorted(names)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def admin_connection(server_url):
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


def with_database(server_url, name):
    parts = urlparse(server_url)
    return urlunparse(parts._replace(path=f"/{name}"))


def generate(total, rng):
    """Bulk-insert ``total`` products; returns what the searches need (codes, brands, words)."""
    from django.db import connection, transaction
    from django.utils.text import slugify
    from oscar.core.loading import get_model

    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    ProductAttribute = get_model("catalogue", "ProductAttribute")
    ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
    ProductCategory = get_model("catalogue", "ProductCategory")
    Category = get_model("catalogue", "Category")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")

    batch = 5000
    brands = brand_names(800, rng)
    with transaction.atomic():
        partner = Partner.objects.create(name="Bench Partner")
        goods = ProductClass.objects.create(name="Goods", track_stock=True, requires_shipping=True)
        brand = ProductAttribute.objects.create(product_class=goods, code="brand", name="Brand", type="text")
        roots = [Category.add_root(name=name) for name in ("Food", "Fashion", "Electronics", "Home", "Health")]
        categories = [root.add_child(name=f"{root.name} {n}") for root in roots for n in range(6)]

    parents_count = total // 100  # 1% parents, each with 3 variants
    standalone_count = total - parents_count * 4
    products, kinds = [], []
    for n in range(standalone_count + parents_count):
        is_parent = n >= standalone_count
        title = f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {rng.choice(NOUNS)} {rng.choice(SIZES)}"
        products.append(
            Product(
                title=title,
                slug=slugify(title)[:200],
                upc=f"899{n:010d}",
                structure=Product.PARENT if is_parent else Product.STANDALONE,
                product_class=goods,
                is_public=rng.random() > 0.05,
            )
        )
        kinds.append(is_parent)
    with transaction.atomic():
        Product.objects.bulk_create(products, batch_size=batch)
        parents = [p for p, is_parent in zip(products, kinds) if is_parent]
        children = []
        for parent in parents:
            for size in ("S", "M", "L"):
                children.append(
                    Product(
                        title=f"{parent.title} {size}",
                        slug=f"{parent.slug}-{size.lower()}",
                        upc=f"{parent.upc}{size}",
                        structure=Product.CHILD,
                        parent=parent,
                        is_public=True,
                    )
                )
        Product.objects.bulk_create(children, batch_size=batch)
        sellable = [p for p, is_parent in zip(products, kinds) if not is_parent] + children
        StockRecord.objects.bulk_create(
            [
                StockRecord(
                    product=p,
                    partner=partner,
                    partner_sku=f"SKU-{p.pk:07d}",
                    price_currency="IDR",
                    price=rng.randrange(10, 5000) * 1000,
                    num_in_stock=rng.randrange(0, 50),
                )
                for p in sellable
            ],
            batch_size=batch,
        )
        ProductAttributeValue.objects.bulk_create(
            [ProductAttributeValue(product=p, attribute=brand, value_text=rng.choice(brands)) for p in products],
            batch_size=batch,
        )
        ProductCategory.objects.bulk_create(
            [ProductCategory(product=p, category=rng.choice(categories)) for p in products], batch_size=batch
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    skus = list(StockRecord.objects.values_list("partner_sku", flat=True))
    upcs = list(Product.objects.values_list("upc", flat=True))
    return {"brands": brands, "skus": skus, "upcs": upcs, "count": Product.objects.count()}


def search_kinds(data, rng, runs):
    """``{kind: [queries]}``: the same queries are used with and without the indexes."""

    def miss():
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(7))

    return {
        "title word": [rng.choice(NOUNS) for _ in range(runs)],
        "title 2 words": [f"{rng.choice(ADJECTIVES).split()[0]} {rng.choice(NOUNS)}" for _ in range(runs)],
        "brand": [rng.choice(data["brands"]) for _ in range(runs)],
        "SKU exact": [rng.choice(data["skus"]) for _ in range(runs)],
        "SKU part": [rng.choice(data["skus"])[4:9] for _ in range(runs)],
        "UPC exact": [rng.choice(data["upcs"]) for _ in range(runs)],
        "miss": [miss() for _ in range(runs)],
        "empty (newest)": ["" for _ in range(runs)],
    }


def measure(kinds, run):
    results = {}
    for kind, queries in kinds.items():
        for q in queries[:3]:
            run(q)  # warm the caches the same way for every variant
        timings = []
        for q in queries:
            start = time.perf_counter()
            run(q)
            timings.append((time.perf_counter() - start) * 1000)
        results[kind] = timings
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="searches per kind and variant")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    name = f"oscar_chat_bench_{os.getpid()}"
    with admin_connection(args.server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = with_database(args.server, name)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    try:
        run_benchmark(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with admin_connection(args.server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"\nDropped the scratch database {name}.")
        else:
            print(f"\nKept the scratch database {name}.")


def run_benchmark(args):
    import django

    django.setup()
    import importlib

    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q
    from oscar.core.loading import get_class, get_model

    from oscar_chat.products import build_cards, search_products
    from oscar_chat.products.selectors import search_product_ids

    migration = importlib.import_module("oscar_chat.migrations.0002_product_search_indexes")
    Product = get_model("catalogue", "Product")
    strategy = get_class("partner.strategy", "Selector")().strategy()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    data = generate(args.products, rng)
    print(
        f"Generated {data['count']:,} products (with stock records, brands, categories) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(" on ")[0])
    print(f"{os.cpu_count()} CPUs, load average before measuring: {os.getloadavg()[0]:.2f}")

    kinds = search_kinds(data, rng, args.runs)
    counts = {kind: len(search_products(queries[0], limit=20)) for kind, queries in kinds.items()}

    def api_search(q):
        return build_cards(search_products(q, limit=20), strategy)

    def or_search(q):
        # What a naive search does: one OR across the joins (not used by oscar_chat).
        q = " ".join(q.split())
        products = Product.objects.browsable()
        if q:
            products = products.filter(
                Q(title__icontains=q)
                | Q(upc__icontains=q)
                | Q(stockrecords__partner_sku__icontains=q)
                | Q(children__stockrecords__partner_sku__icontains=q)
                | Q(attribute_values__attribute__code="brand", attribute_values__value_text__icontains=q)
            ).distinct()
        return list(products.order_by("-id").values_list("id", flat=True)[:20])

    def ids_only(q):
        q = " ".join(q.split())
        if not q:
            return list(Product.objects.browsable().order_by("-date_created", "-id").values_list("id", flat=True)[:20])
        return search_product_ids(q, 20)

    with connection.schema_editor() as editor:
        migration.drop_indexes(apps, editor)
    without = measure(kinds, ids_only)
    without_full = measure(kinds, api_search)
    with connection.schema_editor() as editor:
        migration.create_indexes(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with_indexes = measure(kinds, ids_only)
    with_full = measure(kinds, api_search)
    naive = measure(kinds, or_search)

    def cell(timings):
        return f"{statistics.median(timings):6.1f} / {percentile(timings, 0.95):6.1f}"

    print(f"\n{args.runs} searches per kind, limit 20; milliseconds, p50 / p95")
    print("Finding the ids (oscar_chat: one UNION ALL query of per-field branches):\n")
    header = f"{'kind':<16}{'results':>8}  {'no indexes':>15}  {'trigram indexes':>15}  {'one OR, indexed':>15}"
    print(header)
    print("-" * len(header))
    for kind in kinds:
        print(
            f"{kind:<16}{counts[kind]:>8}  {cell(without[kind]):>15}  {cell(with_indexes[kind]):>15}  "
            f"{cell(naive[kind]):>15}"
        )
    print("\nThe whole search as the endpoint runs it (ids, then the cards in a constant number of queries):\n")
    header = f"{'kind':<16}{'no indexes':>15}  {'trigram indexes':>15}"
    print(header)
    print("-" * len(header))
    for kind in kinds:
        print(f"{kind:<16}{cell(without_full[kind]):>15}  {cell(with_full[kind]):>15}")

    def overall(results):
        flat = [t for kind in kinds if kind != "empty (newest)" for t in results[kind]]
        return f"p50 {statistics.median(flat):.1f} ms, p95 {percentile(flat, 0.95):.1f} ms"

    print(f"\nLoad average after measuring: {os.getloadavg()[0]:.2f}")
    print("All searches with a query (empty q excluded):")
    print(f"  ids    no indexes {overall(without)}; trigram indexes {overall(with_indexes)}")
    print(f"  whole  no indexes {overall(without_full)}; trigram indexes {overall(with_full)}")


if __name__ == "__main__":
    main()
