// Folded stacks for flamegraph.pl / speedscope / inferno: "outer;...;inner weight" per line, outermost
// frame first. Memory findings weigh their bytes (growth: bytes per cycle; exit leaks: bytes live at
// exit); handle findings weigh 1 per handle per cycle so they still show up.
#include <cmath>
#include <map>

#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

std::string foldedName(const std::string& function) {
    std::string name = function;
    for (char& c : name)
        if (c == ';' || c == '\n') c = ':';
        else if (c == ' ') c = '_';
    return name;
}

class FoldedFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext&) const override {
        std::map<std::string, uint64_t> weights;  // folded stack -> weight, merged when stacks coincide
        for (const auto& f : report.findings) {
            uint64_t weight = f.type == kGrowth ? uint64_t(std::llround(f.resource == "memory" ? f.bytes_per_cycle : f.count_per_cycle))
                              : f.type == kExitLeak ? f.bytes
                                                    : std::max<uint64_t>(f.count, 1);
            if (weight == 0) continue;
            std::string folded = f.type;
            for (auto it = f.stack.rbegin(); it != f.stack.rend(); ++it) folded += ";" + foldedName(it->function);
            weights[folded] += weight;
        }
        for (const auto& [stack, weight] : weights) out << stack << " " << weight << "\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeFoldedFormatter() { return std::make_unique<FoldedFormatter>(); }

}  // namespace leakscope::analyzer
