// Growth by call path as an icicle graph in inline SVG: the outermost frame on top, each row one frame
// further in, every box as wide as the memory growth per cycle that passes through it, so a person
// sees where the bytes per cycle go. Self-contained (no script; a <title> per box is its tooltip).
#pragma once

#include <string>

#include "core/Report.h"

namespace leakscope::analyzer::html {

// "" when no memory grows.
std::string svgGrowthIcicle(const Report& report);

}  // namespace leakscope::analyzer::html
