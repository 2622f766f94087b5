"""Demo data for the sandbox store; safe to run again (it fills in only what is missing)."""

import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from oscar.core.loading import get_class, get_model
from PIL import Image, ImageDraw

from oscar_chat import services
from oscar_chat.models import CannedResponse, ChatRoom

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductImage = get_model("catalogue", "ProductImage")
ProductCategory = get_model("catalogue", "ProductCategory")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
create_from_breadcrumbs = get_class("catalogue.categories", "create_from_breadcrumbs")

PASSWORD = "demo12345"
USERS = [
    # username, email, first, last, role
    ("admin", "admin@example.com", "Ayu", "Admin", "superuser"),
    ("agent", "agent@example.com", "Budi", "Santoso", "agent"),
    ("agent2", "agent2@example.com", "Citra", "Lestari", "agent"),
    ("viewer", "viewer@example.com", "Dewi", "Viewer", "viewer"),
    ("customer", "customer@example.com", "Eka", "Pratama", "customer"),
    ("customer2", "customer2@example.com", "Fajar", "Nugroho", "customer"),
]

# title, category path, brand, price (IDR), stock (0 = out of stock), UPC
CATALOGUE = [
    ("Kopi Arabika Gayo 250g", "Food > Coffee", "Gayo Highlands", 85000, 40, "8991001000011"),
    ("Kopi Robusta Lampung 500g", "Food > Coffee", "Lampung Roasters", 95000, 25, "8991001000028"),
    ("Kopi Luwak Premium 100g", "Food > Coffee", "Gayo Highlands", 450000, 0, "8991001000035"),
    ("Teh Melati Tubruk 100g", "Food > Tea", "Tjap Pohon", 25000, 100, "8991001000042"),
    ("Teh Hijau Organik 50g", "Food > Tea", "Tjap Pohon", 38000, 60, "8991001000059"),
    ("Sambal Bawang Pedas 200g", "Food > Condiments", "Dapur Nusantara", 32000, 80, "8991001000066"),
    ("Kecap Manis Premium 600ml", "Food > Condiments", "Dapur Nusantara", 27000, 0, "8991001000073"),
    ("Keripik Singkong Balado", "Food > Snacks", "Dapur Nusantara", 18000, 150, "8991001000080"),
    ("Batik Tulis Shirt Parang", "Fashion > Batik", "Batik Lawas", 650000, 8, "8991002000010"),
    ("Batik Cap Scarf Mega Mendung", "Fashion > Batik", "Batik Lawas", 175000, 20, "8991002000027"),
    ("Kebaya Modern Brokat", "Fashion > Women", "Nona Manis", 520000, 5, "8991002000034"),
    ("Sarung Tenun Samarinda", "Fashion > Men", "Tenun Borneo", 310000, 0, "8991002000041"),
    ("Sandal Kulit Garut", "Fashion > Shoes", "Garut Leather", 225000, 30, "8991002000058"),
    ("Tas Anyaman Rotan", "Fashion > Bags", "Rotan Lestari", 275000, 12, "8991002000065"),
    ("Wireless Earbuds Pro", "Electronics > Audio", "Suara", 899000, 50, "8991003000017"),
    ("Bluetooth Speaker Mini", "Electronics > Audio", "Suara", 349000, 35, "8991003000024"),
    ("Noise Cancelling Headphones", "Electronics > Audio", "Suara", 2150000, 0, "8991003000031"),
    ("Power Bank 20000mAh", "Electronics > Accessories", "Daya", 329000, 70, "8991003000048"),
    ("USB-C Fast Charger 65W", "Electronics > Accessories", "Daya", 259000, 45, "8991003000055"),
    ("Smartwatch Aktif 2", "Electronics > Wearables", "Gerak", 1450000, 15, "8991003000062"),
    ("Mechanical Keyboard TKL", "Electronics > Computers", "Ketik", 1175000, 10, "8991003000079"),
    ("Wireless Mouse Silent", "Electronics > Computers", "Ketik", 189000, 0, "8991003000086"),
    ("Rice Cooker Digital 1.8L", "Home > Kitchen", "Dapur Pintar", 799000, 18, "8991004000016"),
    ("Wajan Anti Lengket 28cm", "Home > Kitchen", "Dapur Pintar", 245000, 22, "8991004000023"),
    ("Cobek Batu Asli", "Home > Kitchen", "Merapi Craft", 120000, 9, "8991004000030"),
    ("Lampu Hias Bambu", "Home > Decor", "Merapi Craft", 210000, 14, "8991004000047"),
    ("Sprei Katun Motif Batik", "Home > Bedroom", "Batik Lawas", 385000, 0, "8991004000054"),
    ("Diffuser Aromaterapi", "Home > Decor", "Wangi", 275000, 26, "8991004000061"),
    ("Minyak Kayu Putih 60ml", "Health > Essentials", "Wangi", 24000, 200, "8991005000013"),
    ("Jamu Kunyit Asam 6 Botol", "Health > Drinks", "Sehat Alami", 60000, 48, "8991005000020"),
    ("Masker Wajah Bengkoang", "Health > Beauty", "Sehat Alami", 45000, 0, "8991005000037"),
    ("Sabun Sereh Handmade", "Health > Beauty", "Wangi", 22000, 90, "8991005000044"),
]

PALETTE = ["#e76f51", "#2a9d8f", "#e9c46a", "#264653", "#f4a261", "#8ab17d", "#6d597a", "#b56576"]


def make_image(title, index):
    """A product picture drawn locally: a coloured tile with the product's initials."""
    image = Image.new("RGB", (600, 600), PALETTE[index % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 60, 540, 540), radius=48, outline="white", width=12)
    initials = "".join(word[0] for word in title.split()[:3]).upper()
    draw.text((300, 300), initials, fill="white", anchor="mm", font_size=160)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue(), name=f"demo-{index}.png")


class Command(BaseCommand):
    help = "Load the sandbox's demo catalogue, users and conversations (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = self.load_users()
            self.load_catalogue()
            self.load_conversations(users)
            self.load_canned_responses()
        # Oscar's catalogue pages list what its search index holds.
        call_command("rebuild_index", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            "Sign in with the email (the store, the admin and the token endpoint take it); password for all: %s"
            % PASSWORD
        )
        for username, email, _first, _last, role in USERS:
            self.stdout.write(f"  {role:<10} {email:<24} (username {username})")

    def load_users(self):
        User = get_user_model()
        change = Permission.objects.get(content_type__app_label="oscar_chat", codename="change_chatroom")
        view = Permission.objects.get(content_type__app_label="oscar_chat", codename="view_chatroom")
        view_canned = Permission.objects.filter(
            content_type__app_label="oscar_chat",
            codename__in=["view_cannedresponse", "change_cannedresponse", "add_cannedresponse", "view_chatmessage"],
        )
        users = {}
        for username, email, first, last, role in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": email, "first_name": first, "last_name": last}
            )
            if created:
                user.set_password(PASSWORD)
            user.is_staff = role in ("superuser", "agent", "viewer")
            user.is_superuser = role == "superuser"
            user.save()
            if role == "agent":
                user.user_permissions.add(change, view, *view_canned)
            elif role == "viewer":
                user.user_permissions.add(view)
            users[username] = user
        return users

    def load_catalogue(self):
        partner, _ = Partner.objects.get_or_create(name="Toko Demo")
        gadget_class, _ = ProductClass.objects.get_or_create(
            name="Goods", defaults={"requires_shipping": True, "track_stock": True}
        )
        brand_attr, _ = ProductAttribute.objects.get_or_create(
            product_class=gadget_class, code="brand", defaults={"name": "Brand", "type": "text"}
        )
        for index, (title, category_path, brand, price, stock, upc) in enumerate(CATALOGUE):
            if Product.objects.filter(upc=upc).exists():
                continue
            product = Product.objects.create(
                title=title,
                upc=upc,
                product_class=gadget_class,
                structure=Product.STANDALONE,
                description=f"{title} from {brand}. A demo product of the oscar_chat sandbox.",
            )
            product.attr.brand = brand
            product.attr.save()
            ProductCategory.objects.create(product=product, category=create_from_breadcrumbs(category_path))
            StockRecord.objects.create(
                product=product,
                partner=partner,
                partner_sku=f"SKU-{index + 1:04d}",
                price_currency="IDR",
                price=Decimal(price),
                num_in_stock=stock,
            )
            ProductImage.objects.create(product=product, original=make_image(title, index), display_order=0)

        # One parent product with size variants (a parent is shared; its children are bought).
        if not Product.objects.filter(upc="8991009000000").exists():
            shirt_class, _ = ProductClass.objects.get_or_create(
                name="Apparel", defaults={"requires_shipping": True, "track_stock": True}
            )
            ProductAttribute.objects.get_or_create(
                product_class=shirt_class, code="brand", defaults={"name": "Brand", "type": "text"}
            )
            ProductAttribute.objects.get_or_create(
                product_class=shirt_class, code="size", defaults={"name": "Size", "type": "text"}
            )
            parent = Product.objects.create(
                title="Kaos Batik Kawung",
                upc="8991009000000",
                product_class=shirt_class,
                structure=Product.PARENT,
                description="A cotton T-shirt with a Kawung batik print.",
            )
            parent.attr.brand = "Batik Lawas"
            parent.attr.save()
            ProductCategory.objects.create(product=parent, category=create_from_breadcrumbs("Fashion > Men"))
            ProductImage.objects.create(product=parent, original=make_image(parent.title, 99), display_order=0)
            for n, (size, stock) in enumerate([("S", 10), ("M", 0), ("L", 7), ("XL", 3)]):
                child = Product.objects.create(
                    parent=parent,
                    structure=Product.CHILD,
                    title=f"Kaos Batik Kawung {size}",
                    upc=f"899100900001{n}",
                )
                child.attr.size = size
                child.attr.save()
                StockRecord.objects.create(
                    product=child,
                    partner=partner,
                    partner_sku=f"SKU-KAWUNG-{size}",
                    price_currency="IDR",
                    price=Decimal("149000"),
                    num_in_stock=stock,
                )

    def load_conversations(self, users):
        customer, customer2, agent = users["customer"], users["customer2"], users["agent"]
        if ChatRoom.objects.filter(user__in=[customer, customer2]).exists():
            return
        coffee = Product.objects.get(upc="8991001000011")
        earbuds = Product.objects.get(upc="8991003000017")

        room = services.open_room(
            customer=customer,
            opened_by=customer,
            subject="Is the Gayo coffee freshly roasted?",
            message="Hi! When was the Arabika Gayo roasted? I'd like it for a gift.",
        )
        services.post_message(room, customer, message_type="PRODUCT", product=coffee)
        services.post_message(room, agent, message="Hello Eka! It was roasted this Monday, so it is very fresh.")
        services.post_message(room, agent, message="It ships in a gift-ready pouch. Shall I hold one for you?")
        services.mark_read(room, customer)
        services.post_message(room, customer, message="Yes please, and does it come ground or whole beans?")

        room = services.open_room(
            customer=customer,
            opened_by=customer,
            subject="Earbuds battery life",
            message="How long does the battery of the earbuds last?",
            product=earbuds,
        )
        services.manage_room(room, priority=ChatRoom.Priority.HIGH)

        room = services.open_room(
            customer=customer2,
            opened_by=customer2,
            subject="Order arrived damaged",
            message="My rice cooker arrived with a dented lid. What can I do?",
        )
        services.post_message(room, agent, message="I'm sorry to hear that! Could you send a photo of the lid?")
        services.mark_read(room, agent)
        services.manage_room(room, status=ChatRoom.Status.RESOLVED, priority=ChatRoom.Priority.URGENT)

    def load_canned_responses(self):
        for shortcut, title, text in [
            ("hello", "Greeting", "Hello {first_name}! Thanks for reaching out. How can I help you today?"),
            ("thanks", "Thanks", "Thank you, {first_name}! Is there anything else I can help you with?"),
            ("shipping", "Shipping times", "Orders ship within 1–2 working days; delivery takes 2–5 days on Java."),
        ]:
            CannedResponse.objects.get_or_create(shortcut=shortcut, defaults={"title": title, "text": text})
