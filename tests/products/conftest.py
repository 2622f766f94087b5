"""A small Oscar catalogue for the product tests, built with Oscar's own models."""

import io
import itertools
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from oscar.core.loading import get_class, get_model
from PIL import Image

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductImage = get_model("catalogue", "ProductImage")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
create_from_breadcrumbs = get_class("catalogue.categories", "create_from_breadcrumbs")

_upcs = itertools.count(1)


def png(color="#2a9d8f"):
    out = io.BytesIO()
    Image.new("RGB", (40, 40), color).save(out, format="PNG")
    # A new name each time: the thumbnailer's cache (Redis under CI) outlives a test's MEDIA_ROOT.
    return ContentFile(out.getvalue(), name=f"product-{uuid.uuid4().hex}.png")


class Catalogue:
    """Makes products the way a store's dashboard would: class, brand attribute, category, stock."""

    def __init__(self):
        self.partner = Partner.objects.create(name="Secret Supplier Ltd")
        self.goods = ProductClass.objects.create(name="Goods", requires_shipping=True, track_stock=True)
        self.digital = ProductClass.objects.create(name="Vouchers", requires_shipping=False, track_stock=False)
        for product_class in (self.goods, self.digital):
            ProductAttribute.objects.create(product_class=product_class, code="brand", name="Brand", type="text")
        ProductAttribute.objects.create(product_class=self.goods, code="size", name="Size", type="text")

    def product(
        self,
        title,
        *,
        sku=None,
        upc=None,
        price="100000",
        stock=10,
        allocated=None,
        brand=None,
        category="Food > Coffee",
        public=True,
        image=False,
        currency="IDR",
        product_class=None,
        structure=Product.STANDALONE,
        parent=None,
    ):
        product = Product.objects.create(
            title=title,
            upc=upc if upc is not None else f"TEST{next(_upcs):09d}",
            product_class=None if parent is not None else (product_class or self.goods),
            structure=Product.CHILD if parent is not None else structure,
            parent=parent,
            is_public=public,
        )
        if brand is not None:
            product.attr.brand = brand
            product.attr.save()
        if category and parent is None:
            ProductCategory.objects.create(product=product, category=create_from_breadcrumbs(category))
        if sku is not None and structure != Product.PARENT:
            StockRecord.objects.create(
                product=product,
                partner=self.partner,
                partner_sku=sku,
                price_currency=currency,
                price=None if price is None else Decimal(price),
                num_in_stock=stock,
                num_allocated=allocated,
            )
        if image:
            ProductImage.objects.create(product=product, original=png(), display_order=0)
        return product

    def parent_with_variants(
        self, title="Kaos Batik Kawung", sizes=(("S", 5), ("M", 0), ("L", 3)), sku="KAWUNG", **kwargs
    ):
        parent = self.product(title, structure=Product.PARENT, **kwargs)
        children = []
        for size, stock in sizes:
            child = self.product(
                f"{title} {size}",
                sku=f"{sku}-{size}",
                price="149000",
                stock=stock,
                parent=parent,
                category=None,
                upc=None,
            )
            child.attr.size = size
            child.attr.save()
            children.append(child)
        return parent, children


@pytest.fixture
def media(db, settings, tmp_path):
    """Uploaded images and their thumbnails go to a temporary MEDIA_ROOT."""
    from sorl.thumbnail import default

    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield settings.MEDIA_ROOT
    # Forget this test's thumbnails in the shared cache too (the database rolls back by itself).
    default.kvstore.clear()


@pytest.fixture
def catalogue(db, media):
    return Catalogue()


def card_keys():
    return {"id", "title", "url", "image", "price", "availability", "category", "brand", "sku", "upc", "is_parent"}
