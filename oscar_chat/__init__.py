"""Real-time customer chat with shareable product cards for django-oscar stores."""

__version__ = "0.1.0"
