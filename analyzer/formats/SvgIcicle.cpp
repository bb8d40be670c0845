#include "formats/SvgIcicle.h"

#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "core/FrameTrimmer.h"
#include "formats/HtmlText.h"

namespace leakscope::analyzer::html {
namespace {

constexpr double kWidth = 1000;
constexpr double kRowHeight = 20;
constexpr size_t kMaxRows = 24;          // deeper call paths are cut (the innermost rows are the widest anyway)
constexpr double kMinLabelWidth = 40;     // narrower boxes keep only their tooltip
constexpr double kCharWidth = 6.6;        // of the 11px monospace label

struct Node {
    std::string name;       // shortened for the box
    std::string full_name;  // for the tooltip
    double bytes = 0;
    std::map<std::string, std::unique_ptr<Node>> children;  // by full name: the same order every run
};

void addPath(Node& root, const SymbolizedStack& stack, double bytes) {
    root.bytes += bytes;
    Node* node = &root;
    size_t rows = 0;
    for (size_t i = stack.size(); i-- > 0 && rows < kMaxRows; ++rows) {
        const auto& frame = stack[i];
        auto& child = node->children[frame.function];
        if (!child) child = std::make_unique<Node>(Node{shortFunctionName(frame.function), frame.function, 0, {}});
        child->bytes += bytes;
        node = child.get();
    }
}

void addFinding(Node& root, const Finding& finding) {
    if (!finding.components.empty()) {
        for (const auto& part : finding.components) addFinding(root, part);
        return;
    }
    if (finding.type == kGrowth && finding.resource == "memory" && finding.bytes_per_cycle > 0)
        addPath(root, finding.stack, finding.bytes_per_cycle);
}

size_t depthOf(const Node& node) {
    size_t depth = 0;
    for (const auto& [name, child] : node.children) depth = std::max(depth, depthOf(*child));
    return depth + 1;
}

void drawNode(const Node& node, double x, double width, size_t row, double total, std::ostringstream& out) {
    double y = double(row) * kRowHeight;
    // Warmer the more of the growth passes through: the eye goes to where the bytes go.
    int green = int(200 - 140 * (node.bytes / total));
    out << "<g><title>" << escape(node.full_name) << " — " << formatBytes(node.bytes) << "/cycle</title><rect x=\"" << formatFixed(x, 1)
        << "\" y=\"" << formatFixed(y, 1) << "\" width=\"" << formatFixed(std::max(width - 1, 0.5), 1) << "\" height=\""
        << kRowHeight - 2 << "\" rx=\"2\" fill=\"rgb(240," << green << ",90)\"/>";
    if (width >= kMinLabelWidth) {
        size_t fits = size_t((width - 8) / kCharWidth);
        std::string label = node.name.size() > fits ? node.name.substr(0, fits > 1 ? fits - 1 : 0) + "…" : node.name;
        out << "<text x=\"" << formatFixed(x + 4, 1) << "\" y=\"" << formatFixed(y + 14, 1) << "\">" << escape(label) << "</text>";
    }
    out << "</g>\n";
    double child_x = x;
    for (const auto& [name, child] : node.children) {
        double child_width = width * child->bytes / node.bytes;
        drawNode(*child, child_x, child_width, row + 1, total, out);
        child_x += child_width;
    }
}

}  // namespace

std::string svgGrowthIcicle(const Report& report) {
    Node root{"all growth", "all memory growth", 0, {}};
    for (const auto& finding : report.findings) addFinding(root, finding);
    if (root.bytes <= 0) return "";
    size_t rows = depthOf(root);
    std::ostringstream out;
    out << "<svg class=\"icicle\" viewBox=\"0 0 " << kWidth << " " << double(rows) * kRowHeight
        << "\" role=\"img\" aria-label=\"memory growth per cycle by call path\" font-family=\"ui-monospace, monospace\" font-size=\"11\">\n";
    drawNode(root, 0, kWidth, 0, root.bytes, out);
    out << "</svg>";
    return out.str();
}

}  // namespace leakscope::analyzer::html
