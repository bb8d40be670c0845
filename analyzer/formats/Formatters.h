// Factories of the built-in formats (each defined in its own file), used by FormatterRegistry.cpp.
#pragma once

#include <memory>

#include "formats/ReportFormatter.h"

namespace leakscope::analyzer {

std::unique_ptr<ReportFormatter> makeTextFormatter();
std::unique_ptr<ReportFormatter> makeJsonFormatter();
std::unique_ptr<ReportFormatter> makeMarkdownFormatter();
std::unique_ptr<ReportFormatter> makeJunitFormatter();
std::unique_ptr<ReportFormatter> makeSarifFormatter();
std::unique_ptr<ReportFormatter> makeFoldedFormatter();
std::unique_ptr<ReportFormatter> makeHtmlFormatter();

}  // namespace leakscope::analyzer
