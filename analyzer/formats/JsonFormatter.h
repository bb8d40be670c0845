// The report as JSON (docs/report-schema.md). Exposed for the baseline writer and tests.
#pragma once

#include <nlohmann/json.hpp>

#include "core/Report.h"

namespace leakscope::analyzer {

nlohmann::json reportToJson(const Report& report);
nlohmann::json findingToJson(const Finding& finding);

}  // namespace leakscope::analyzer
