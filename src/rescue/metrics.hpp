// /metrics: the snapshot in the Prometheus text exposition format 0.0.4. Families are
// fixed by this file (names, types, help); label values come from the snapshot and are
// escaped. Faults are listed from the one fault table, so every code is always present.
#pragma once

#include <string>

namespace lifeline::rescue {

struct Snapshot;

std::string render_metrics(const Snapshot& snapshot);

}  // namespace lifeline::rescue
