// Every finding type a report can carry, in one table: its name (JSON, --fail-on, suppressions), its
// place in the report order, whether it fails the gate by default, and the words every output format
// uses for it (HTML section, SARIF rule, JSON summary counter). Adding a type is one row here.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope::analyzer {

struct FindingType {
    const char* name;          // "growth", "leaked_handle", ... (Report.h kGrowth etc. name the same rows)
    const char* summary_key;   // JSON summary counter: "growth", "leaked_handles", "bad_closes", ...
    bool fails_by_default;     // in the default --fail-on (docs/cli.md: informational types do not gate)
    bool memory_leak;          // SARIF tag "memory-leak" (growth, exit leaks), else "resource"
    const char* resource;      // Finding::resource: "memory" or "handle"; "" when the finding says (growth)
    // HTML (formats/HtmlFormatter.cpp): section anchor, heading, one-line explanation
    const char* html_id;
    const char* title;
    const char* blurb;
    // SARIF (formats/SarifFormatter.cpp): rule name as viewers show it, short and full description, and
    // the docs page#anchor its helpUri points to
    const char* sarif_name;
    const char* sarif_short;
    const char* sarif_full;
    const char* doc;
};

// All types, in report order (growth first, exit leaks last: docs/report-schema.md).
std::span<const FindingType> findingTypeTable();

// The row named `name`, or nullptr for a name no row has.
const FindingType* findFindingType(std::string_view name);

// Position of `name` in report order; unknown names sort after every known type.
int findingTypeRank(std::string_view name);

// All names, in report order (valid in --fail-on and in suppressions).
const std::vector<std::string>& findingTypes();

// "growth, leaked_handle, ..." for error messages that list the valid names.
std::string findingTypeList();

// The default --fail-on list: the types with fails_by_default, comma-separated ("growth,bad_close,...").
std::string defaultFailOn();

}  // namespace leakscope::analyzer
