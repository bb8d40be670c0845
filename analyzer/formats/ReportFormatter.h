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
    bool color = false;         // ANSI colour allowed (--color, NO_COLOR, a TTY: see main.cpp)
    bool all = false;           // --all: list every informational finding, not only the five largest
    std::string source_root;    // absolute; source files below it are written relative to it ("" = none)
    std::vector<std::string> inputs;  // the snapshot directories/files the report was made from
    std::string source_url;     // --source-url TEMPLATE ("…/{path}#L{line}"): html links locations; "" = none
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
std::string findingTitle(const Finding& finding);         // one line: "memory grows by 4096 B/cycle in create_from_config — all definitely lost"
std::string topFunctionName(const Finding& finding);      // the headline (program's call), or "(no stack)"
const SymbolizedFrame* headlineLocationFrame(const Finding& finding);  // stack[headline_frame], nullptr: no stack
std::string markdownEscape(const std::string& text);      // safe inside a Markdown table cell or summary

// `file` relative to `root` ("src/session.c") when it lies below it, else "" (also for "" inputs). A
// relative `file` (relative to its compilation directory) counts when, without its leading "../" and
// "./", it names an existing file below `root`.
std::string relativeToSourceRoot(const std::string& file, const std::string& root);
// Where a finding is in the program's own code, for CI annotations: the first frame whose file lies
// below the source root, else the first frame with an absolute file outside the system's directories
// (/usr, /lib: libc, libstdc++), else nullptr. Frames in libstdc++ headers are never the place to fix a leak.
const SymbolizedFrame* ownCodeFrame(const Finding& finding, const std::string& source_root);
// The finding's name that stays the same across runs (no sizes, fd numbers or pids), for test
// dashboards that compare runs: "growth of memory per 'cycle' in handle_request [9f0c…]".
std::string stableFindingName(const Finding& finding);

}  // namespace leakscope::analyzer
