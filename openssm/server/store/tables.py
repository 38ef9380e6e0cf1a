"""Every table of every capability, on the one MetaData: what migrations build and tests compare.

Importing a capability's tables module registers its tables on ``schema.metadata``; this
module imports them all, so code that needs the whole schema imports ``metadata`` from here.
"""

from __future__ import annotations

from openssm.server.store.associations import tables as associations_tables
from openssm.server.store.audit import tables as audit_tables
from openssm.server.store.commands import tables as commands_tables
from openssm.server.store.compliance import tables as compliance_tables
from openssm.server.store.documents import tables as documents_tables
from openssm.server.store.events import tables as events_tables
from openssm.server.store.fleet import tables as fleet_tables
from openssm.server.store.groups import tables as groups_tables
from openssm.server.store.inventory import tables as inventory_tables
from openssm.server.store.parameters import tables as parameters_tables
from openssm.server.store.schema import metadata
from openssm.server.store.sessions import tables as sessions_tables

CAPABILITY_TABLES = (
    associations_tables,
    audit_tables,
    commands_tables,
    compliance_tables,
    documents_tables,
    events_tables,
    fleet_tables,
    groups_tables,
    inventory_tables,
    parameters_tables,
    sessions_tables,
)

__all__ = ["CAPABILITY_TABLES", "metadata"]
