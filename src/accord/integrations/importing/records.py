"""Importers for companies, deals, activities, campaigns and touchpoints.

These go through each context's single-record services (the validation and invariants live
there); only contacts, the high-volume type, have a bulk path. Each type has its own module
beside this one and registers itself in RECORD_IMPORTERS with `@register`:

- companies (`companies_import`): matched by domain, else external id, else name (for a row
  with a domain: a company without one);
- deals (`deals_import`): matched by external id, else (name, company) among deals with no
  external id;
- activities (`activities_import`): matched by (kind, contact, occurred at, subject);
- campaigns (`campaigns_import`): matched by name;
- touchpoints (`touchpoints_import`): matched by (contact, type, occurred at, channel, campaign).
"""

from __future__ import annotations

# Importing each module registers its importer.
import accord.integrations.importing.activities_import
import accord.integrations.importing.campaigns_import
import accord.integrations.importing.companies_import
import accord.integrations.importing.deals_import
import accord.integrations.importing.touchpoints_import  # noqa: F401
from accord.integrations.importing.registry import RECORD_IMPORTERS, register

__all__ = ["RECORD_IMPORTERS", "register"]
