"""The sandbox as a store that never configured REST framework (DRF's own DEFAULT_SCHEMA_CLASS)."""

from sandbox.settings import *  # noqa: F403

del REST_FRAMEWORK  # noqa: F821
