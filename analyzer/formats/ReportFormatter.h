// One interface for every report output format. Each format lives in its own file and registers a
// factory in FormatterRegistry.cpp (one line per format); to add a format (e.g. html) write a class
// implementing ReportFormatter and add it to the table there.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/Report.h"

namespace leakscope::analyzer {

struct FormatContext {
    bool color = false;  // ANSI colour allowed (text on a TTY only)
    std::string source_url;  // --source-url TEMPLATE ("…/{path}#L{line}"): html links locations; "" = none
};

class ReportFormatter {
public:
    virtual ~ReportFormatter() = default;
    virtual void write(const Report& report, std::ostream& out, const FormatContext& context) const = 0;
};

// Names accepted by --format, in the order shown in --help.
std::vector<std::string> formatterNames();

// nullptr for an unknown name.
std::unique_ptr<ReportFormatter> makeFormatter(const std::string& name);

// Helpers shared by the formats.
std::string frameLocation(const SymbolizedFrame& frame);  // "file:line", "" when unknown
std::string findingTitle(const Finding& finding);         // one line: "memory grows by 4096 B/cycle in create_from_config"
std::string topFunctionName(const Finding& finding);      // the headline (program's call), or "(no stack)"
const SymbolizedFrame* headlineLocationFrame(const Finding& finding);  // stack[headline_frame], nullptr: no stack
std::string markdownEscape(const std::string& text);      // safe inside a Markdown table cell or summary

}  // namespace leakscope::analyzer
