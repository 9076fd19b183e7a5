"""Source mappings: a foreign file export onboarded with configuration only (docs/data-model.md, mappings).

``model`` holds the ``mapping:`` block of ``trainops.yaml``, ``read`` opens the file (CSV, JSON, xlsx),
``engine`` turns its records into the kind's canonical rows, which ``kinds`` types and validates with
the kind's own spec.
"""

from connectors.mapping.engine import UNMAPPED_VALUE, MappedParser
from connectors.mapping.kinds import MAPPED_KINDS, check_mapping
from connectors.mapping.model import Mapping

__all__ = ["MAPPED_KINDS", "UNMAPPED_VALUE", "MappedParser", "Mapping", "check_mapping"]
