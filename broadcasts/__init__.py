"""Scheduled anti-fraud broadcasts: campaigns, the delivery ledger, fan-out, scheduler.

Importing this package registers the broadcast tables with SQLModel's metadata, so
``core.db.create_tables`` creates them.
"""

from broadcasts import media as media  # registers broadcast_media
from broadcasts import models as models  # registers the tables
