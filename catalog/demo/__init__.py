"""The demo catalog that ``irs serve --demo`` loads: Xiamen's ledger as the 2024 census saw it.

Hand-written facts (departments, systems, components, data elements, datasets, e-license
types, matters and one-thing bundles from Xiamen's 2024 work plan) with a little seeded detail
(lifecycle dates, publish dates, update cycles) where the real facts are not public. Nothing is
built at import time; `demo_entities()` builds a fresh, identical list on every call.
"""

from __future__ import annotations

from catalog.demo.certificates import certificate_types
from catalog.demo.components import components
from catalog.demo.datasets_business import business_datasets
from catalog.demo.datasets_civil import civil_datasets
from catalog.demo.datasets_health_edu import health_education_datasets
from catalog.demo.datasets_platform import platform_datasets
from catalog.demo.datasets_social import social_datasets
from catalog.demo.datasets_space import space_datasets
from catalog.demo.departments import departments
from catalog.demo.elements import data_elements
from catalog.demo.lineage import with_lineage
from catalog.demo.matters_business import business_matters
from catalog.demo.matters_people import people_matters
from catalog.demo.matters_social import social_matters
from catalog.demo.matters_space import space_matters
from catalog.demo.onethings import one_things
from catalog.demo.systems import systems
from catalog.model import Entity


def demo_entities() -> list[Entity]:
    """Every demo entity, departments first, in an order a bulk load accepts."""
    matters = [*people_matters(), *social_matters(), *business_matters(), *space_matters()]
    return with_lineage(
        [
            *departments(),
            *components(),
            *systems(),
            *data_elements(),
            *platform_datasets(),
            *civil_datasets(),
            *health_education_datasets(),
            *social_datasets(),
            *business_datasets(),
            *space_datasets(),
            *certificate_types(),
            *matters,
            *one_things(matters),
        ]
    )


__all__ = ["demo_entities"]
