// SARIF 2.1.0 for code-scanning UIs: one result per finding, ruleId = finding type, the top frame's
// file:line as the location, and the whole stack as a codeFlow.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

nlohmann::json physicalLocation(const SymbolizedFrame& frame) {
    nlohmann::json location = {{"artifactLocation", {{"uri", frame.file}}}};
    if (frame.line > 0) location["region"] = {{"startLine", frame.line}};
    return location;
}

nlohmann::json ruleFor(const std::string& type) {
    return {{"id", type}, {"name", type}, {"shortDescription", {{"text", "leakscope " + type + " finding"}}},
            {"helpUri", "https://example.invalid/leakscope/docs/analysis.md"}};
}

class SarifFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext&) const override {
        nlohmann::json rules = nlohmann::json::array(), results = nlohmann::json::array();
        std::vector<std::string> seen;
        for (const auto& f : report.findings) {
            if (std::find(seen.begin(), seen.end(), f.type) == seen.end()) seen.push_back(f.type), rules.push_back(ruleFor(f.type));
            nlohmann::json result = {{"ruleId", f.type},
                                     {"level", f.gating ? "error" : "warning"},
                                     {"message", {{"text", findingTitle(f)}}},
                                     {"partialFingerprints", {{"leakscopeStackKey/v1", f.stack_key}}}};
            nlohmann::json locations = nlohmann::json::array();
            if (!f.stack.empty() && !f.stack[0].file.empty()) {
                nlohmann::json location = {{"physicalLocation", physicalLocation(f.stack[0])}};
                location["logicalLocations"] = {{{"fullyQualifiedName", f.stack[0].function}, {"kind", "function"}}};
                locations.push_back(location);
            }
            result["locations"] = locations;
            nlohmann::json flow_locations = nlohmann::json::array();
            for (const auto& frame : f.stack) {
                nlohmann::json location = {{"message", {{"text", frame.function}}}};
                if (!frame.file.empty()) location["physicalLocation"] = physicalLocation(frame);
                flow_locations.push_back({{"location", location}});
            }
            if (!flow_locations.empty()) result["codeFlows"] = {{{"threadFlows", {{{"locations", flow_locations}}}}}};
            results.push_back(result);
        }
        nlohmann::json sarif = {
            {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
            {"version", "2.1.0"},
            {"runs", {{{"tool", {{"driver", {{"name", "leakscope"}, {"version", kToolVersion}, {"rules", rules}}}}},
                       {"results", results}}}}};
        out << sarif.dump(2) << "\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeSarifFormatter() { return std::make_unique<SarifFormatter>(); }

}  // namespace leakscope::analyzer
