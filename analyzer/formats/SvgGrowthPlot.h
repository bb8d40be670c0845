// The growth plot of the HTML report: one growth finding's live bytes (memory) or live handles per
// snapshot of its label series, as an inline SVG line chart with axis labels, the warm-up shaded and
// the onset of growth marked. Self-contained: presentation attributes inline, no external references.
#pragma once

#include <string>

#include "core/Report.h"

namespace leakscope::analyzer::html {

// "" when the finding has no series (not a growth finding).
std::string svgGrowthPlot(const Finding& finding);

}  // namespace leakscope::analyzer::html
