from tests.casework_b.factories import import_batch, inbound_message
from tests.isolation import builder


@builder(
    "inbound:inbound-detail",
    "inbound:inbound-original",
    "inbound:inbound-attach",
    "inbound:inbound-open-case",
    "inbound:inbound-dismiss",
    "letters:inbound-reply",
)
def _inbound_message(office):
    return {"pk": inbound_message(office).pk}


@builder("casework:import-detail", "casework:import-progress", "casework:import-confirm", "casework:import-cancel")
def _import_batch(office):
    return {"pk": import_batch(office).pk}
