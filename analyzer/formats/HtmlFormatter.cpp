// One self-contained HTML page for people: a summary (verdict, processes, counts per finding type),
// every leak with its growth plotted (inline SVG) and its stack, then the other findings by type as
// collapsible rows. No network: styles are inline, there are no scripts, fonts or images to fetch, so
// the file can be attached to a CI run and opened anywhere. Every text from the report is escaped.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <utility>

#include "core/FindingGroups.h"
#include "core/FindingTypes.h"
#include "core/Reachability.h"
#include "formats/Formatters.h"
#include "formats/HtmlText.h"
#include "formats/SvgGrowthPlot.h"
#include "formats/SvgIcicle.h"

namespace leakscope::analyzer {
namespace {

using html::escape;
using html::formatBytes;
using html::formatCount;

// Above this many findings a section starts collapsed, so one noisy type does not bury the rest.
constexpr size_t kCollapseAbove = 20;

struct Section {
    const char* type;
    const char* id;
    const char* title;
    const char* blurb;
};

// One section per finding type, in report order (core/FindingTypes.h); growth is rendered as cards, the
// rest as rows.
std::vector<Section> sections() {
    std::vector<Section> out;
    for (const auto& type : findingTypeTable()) out.push_back({type.name, type.html_id, type.title, type.blurb});
    return out;
}

constexpr const char* kStyle = R"css(
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --soft:#f8f9fa; --bad:#c92a2a; --bad-bg:#fff5f5;
        --warn:#e67700; --warn-bg:#fff9db; --ok:#2b8a3e; --ok-bg:#ebfbee; --accent:#d9480f; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f3f5; color: var(--ink);
       font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.top { background: #212529; color: #fff; padding: 18px 0; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 0 24px; }
header.top .wrap { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
.brand { font-size: 20px; font-weight: 700; letter-spacing: .3px; }
.brand small { font-weight: 400; color: #adb5bd; font-size: 13px; margin-left: 6px; }
.verdict { padding: 4px 12px; border-radius: 999px; font-weight: 700; font-size: 13px; letter-spacing: .5px; }
.verdict.leak { background: var(--bad); color: #fff; }
.verdict.clean { background: var(--ok); color: #fff; }
.verdict.notjudged { background: #b8860b; color: #fff; }
.notjudged-list { color: #8a6d00; }
.headline { color: #dee2e6; }
main.wrap { padding-top: 20px; padding-bottom: 36px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 0 0 18px; }
h2 { font-size: 17px; margin: 0 0 4px; display: flex; align-items: baseline; gap: 8px; }
h2 .n { color: var(--muted); font-weight: 400; font-size: 14px; }
p.blurb { margin: 0 0 12px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 12px 0; }
.card { display: block; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: var(--soft);
        color: inherit; text-decoration: none; }
.card .v { font-size: 22px; font-weight: 700; }
.card .k { color: var(--muted); font-size: 12px; }
.card.bad { border-color: #ffc9c9; background: var(--bad-bg); } .card.bad .v { color: var(--bad); }
.card.warn { border-color: #ffe066; background: var(--warn-bg); } .card.warn .v { color: var(--warn); }
.card.zero .v { color: #adb5bd; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .4px; }
td.num, th.num { text-align: right; width: 1%; white-space: nowrap; }
.fn { overflow-wrap: anywhere; }
.loc { color: #1864ab; overflow-wrap: anywhere; }
.mod { color: var(--muted); overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 4px;
       background: #e9ecef; color: #495057; margin-left: 4px; white-space: nowrap; vertical-align: 1px; }
.tag.fails { background: var(--bad); color: #fff; } .tag.info { background: #e7f5ff; color: #1864ab; }
.tag.inl { background: #f3f0ff; color: #5f3dc4; }
.leakcard { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: 14px 16px; margin: 14px 0 0; }
.leakcard.fails { border-left-color: var(--bad); }
.leakcard h3 { margin: 0; font-size: 15px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.leakcard .where { margin: 2px 0 10px; }
.stats { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 6px 0 8px; }
.stat .v { font-size: 18px; font-weight: 700; } .stat .k { color: var(--muted); font-size: 12px; }
.stat.main .v { color: var(--bad); }
.stat.reach .v { font-size: 14px; line-height: 27px; } .stat.reach.lost .v { color: var(--bad); }
.stat.detail .v { font: 600 13px/27px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
svg.icicle { display: block; width: 100%; height: auto; margin: 6px 0 4px; }
svg.icicle text { fill: #212529; pointer-events: none; }
details.icicle > summary, details.parts > summary { color: var(--muted); margin: 8px 0 4px; }
table.parts td, table.parts th { padding: 3px 8px; }
a.src { text-decoration: none; } a.src:hover .loc { text-decoration: underline; }
h3 code.fn, code.fn { overflow-wrap: anywhere; word-break: break-word; }
svg.growth-plot { display: block; width: 100%; max-width: 760px; height: auto; margin: 4px 0 8px; font-family: inherit; }
details > summary { cursor: pointer; }
details.stack > summary { color: var(--muted); margin: 4px 0; }
details.row { border-bottom: 1px solid var(--line); }
details.row > summary { padding: 6px 4px; display: flex; gap: 12px; align-items: baseline; list-style: none; }
details.row > summary::-webkit-details-marker { display: none; }
details.row > summary::before { content: "\25B8"; color: var(--muted); }
details.row[open] > summary::before { content: "\25BE"; }
details.row > summary .metric { min-width: 180px; font-weight: 600; white-space: nowrap; }
details.row > summary .fn { flex: 1; }
details.row > div { padding: 0 0 10px 22px; }
details.more > summary { color: #1864ab; margin: 8px 0; }
table.overview a { color: inherit; text-decoration: none; } table.overview a:hover { text-decoration: underline; }
.stacktable td:first-child { color: var(--muted); width: 1%; }
.notes li { color: var(--warn); }
.empty { color: var(--ok); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
)css";

std::string tag(const std::string& css_class, const std::string& text) {
    return "<span class=\"tag " + css_class + "\">" + escape(text) + "</span>";
}

std::string gateTag(const Finding& f) { return f.gating ? tag("fails", "fails gate") : tag("info", "info"); }

// --source-url TEMPLATE for this page ("" = no links); set by HtmlFormatter::write for its one page.
thread_local std::string tSourceUrl;

// The template with {path} (the debug info's path without leading "./" and "../") and {line}.
std::string sourceLink(const SymbolizedFrame& frame) {
    std::string path = frame.file;
    while (path.rfind("../", 0) == 0 || path.rfind("./", 0) == 0) path.erase(0, path.find('/') + 1);
    std::string url = tSourceUrl;
    for (auto [key, value] : {std::pair<std::string, std::string>{"{path}", path}, {"{line}", std::to_string(frame.line)}})
        for (size_t at = url.find(key); at != std::string::npos; at = url.find(key, at + value.size())) url.replace(at, key.size(), value);
    return url;
}

// "file.c:42" shown, the full path on hover, a link with --source-url; "" without line information.
std::string locationHtml(const SymbolizedFrame& frame) {
    std::string location = frameLocation(frame);
    if (location.empty()) return "";
    size_t slash = frame.file.rfind('/');
    std::string shown = slash == std::string::npos ? location : location.substr(slash + 1);
    std::string span = "<span class=\"loc mono\" title=\"" + escape(location) + "\">" + escape(shown) + "</span>";
    if (tSourceUrl.empty()) return span;
    return "<a class=\"src\" href=\"" + escape(sourceLink(frame)) + "\">" + span + "</a>";
}

// Location of the program's call that the headline names ("" without a stack).
std::string headlineLocationHtml(const Finding& f) {
    const SymbolizedFrame* frame = headlineLocationFrame(f);
    return frame ? locationHtml(*frame) : "";
}

// Function, file:line, module and the inline marker of every frame, innermost first.
void writeStack(const SymbolizedStack& stack, std::ostream& out) {
    if (stack.empty()) {
        out << "<p class=\"blurb\">No stack was recorded (the handle was open before the tool started, or inherited).</p>\n";
        return;
    }
    out << "<table class=\"stacktable\"><tr><th>#</th><th>function</th><th>location</th><th>module</th></tr>\n";
    for (size_t i = 0; i < stack.size(); ++i) {
        const auto& frame = stack[i];
        out << "<tr><td class=\"mono\">" << i << "</td><td><code class=\"fn\">" << escape(frame.function) << "</code>"
            << (frame.inlined ? tag("inl", "inlined") : "") << "</td><td>" << locationHtml(frame)
            << "</td><td class=\"mod mono\">" << escape(frame.module) << "</td></tr>\n";
    }
    out << "</table>\n";
}

// `variant`: "main" (the rate, in red), "detail" (long text such as a socket's address family), or "".
std::string stat(const std::string& value, const std::string& key, const std::string& variant = "") {
    return "<div class=\"stat " + variant + "\"><div class=\"v\">" + escape(value) +
           "</div><div class=\"k\">" + escape(key) + "</div></div>";
}

std::string plural(double count, const std::string& noun) { return formatCount(count) + " " + noun + (count == 1 ? "" : "s"); }

// What a reachability phrase is about: where the classes come from, or why there are none.
std::string reachabilityKeyText(const Finding& f) {
    const auto& r = f.reachability;
    if (r.status != FindingReachability::Status::Classified) return r.reason;
    return "valgrind's classes in the '" + r.snapshot_label + "' snapshot #" + std::to_string(r.snapshot_index) +
           (f.type == kGrowth ? ", of the blocks allocated since the growth began" : "");
}

std::string metric(const Finding& f);

// A finding grouped by cause (FindingGroups.h): its parts, one row each, in an expandable block.
void writeComponents(const Finding& f, std::ostream& out) {
    if (f.components.empty()) return;
    out << "<details class=\"parts\" open><summary>" << escape(componentsSummary(f)) << " — "
        << plural(double(f.components.size()), "part") << "</summary>\n<table class=\"parts\"><tr><th class=\"num\">per cycle</th>"
        << "<th>site</th><th>location</th></tr>\n";
    for (const auto& part : f.components) {
        std::string amount = part.type != kGrowth ? metric(part)
                             : part.resource == "memory" ? "+" + formatBytes(part.bytes_per_cycle) + " in " + plural(part.count_per_cycle, "block")
                                                         : "+" + plural(part.count_per_cycle, part.handle_kind + " handle");
        out << "<tr><td class=\"num mono\">" << escape(amount) << "</td><td><code class=\"fn\">" << escape(topFunctionName(part))
            << "</code></td><td>" << (part.stack.empty() ? "" : locationHtml(part.stack[0])) << "</td></tr>\n";
    }
    out << "</table></details>\n";
}

void writeLeak(const Finding& f, size_t number, std::ostream& out) {
    const bool memory = f.resource == "memory";
    out << "<article class=\"leakcard" << (f.gating ? " fails" : "") << "\" id=\"leak-" << number << "\">\n<h3>"
        << tag("", memory ? "memory" : f.handle_kind + " handles") << "<code class=\"fn\">" << escape(topFunctionName(f))
        << "</code>" << gateTag(f) << "</h3>\n<div class=\"where\">"
        << (f.stack.empty() ? "" : headlineLocationHtml(f) + " <span class=\"mod mono\">" + escape(headlineLocationFrame(f)->module) + "</span>")
        << "</div>\n<div class=\"stats\">";
    if (memory)
        out << stat("+" + formatBytes(f.bytes_per_cycle), "bytes / cycle", "main")
            << stat("+" + formatCount(f.count_per_cycle), "blocks / cycle")
            << (f.sites > 1 ? stat(std::to_string(f.sites), "allocation sites") : std::string());
    else
        out << stat("+" + formatCount(f.count_per_cycle), "handles / cycle", "main")
            << stat(f.handle_details.empty() ? f.handle_kind : f.handle_details, "handle", "detail");
    if (memory) out << stat(reachabilityPhrase(f), "reachability", mostlyLost(f) ? "reach lost" : "reach");
    out << stat(std::to_string(f.cycles_grown) + " of " + std::to_string(f.cycles_observed), "cycles grew")
        << stat("'" + f.label + "'", "cycle label") << stat(std::to_string(f.pid), "pid") << "</div>\n";
    if (memory) out << "<p class=\"blurb reach\">Reachability: " << escape(reachabilityKeyText(f)) << ".</p>\n";
    out << html::svgGrowthPlot(f) << "\n";
    writeComponents(f, out);
    out << "<details class=\"stack\" open><summary>" << (memory ? "allocating" : "opening") << " stack (" << plural(double(f.stack.size()), "frame")
        << ")</summary>\n";
    writeStack(f.stack, out);
    out << "</details>\n</article>\n";
}

// The one figure that identifies a non-growth finding in its row.
std::string metric(const Finding& f) {
    if (f.type == kLeakedHandle && !f.components.empty()) return plural(double(f.components.size()), "fd") + " · " + f.handle_kind;
    if (f.type == kLeakedHandle) return "fd " + std::to_string(f.fd) + " · " + f.handle_kind;
    if (f.type == kExitLeak) return formatBytes(double(f.bytes)) + " in " + plural(double(f.count), "block");
    std::string times = f.count > 1 ? " ×" + std::to_string(f.count) : "";
    if (f.resource == "handle") return "fd " + std::to_string(f.value) + times;
    if (f.type == "bad_free") {
        char pointer[32];
        std::snprintf(pointer, sizeof pointer, "%#llx", static_cast<unsigned long long>(f.value));
        return pointer + times;
    }
    return formatBytes(double(f.size)) + times;
}

void writeRow(const Finding& f, std::ostream& out) {
    out << "<details class=\"row\"><summary><span class=\"metric mono\">" << escape(metric(f)) << "</span><code class=\"fn\">"
        << escape(f.stack.empty() ? f.handle_details : topFunctionName(f)) << "</code>"
        << headlineLocationHtml(f) << (f.untracked ? tag("", "untracked") : "") << gateTag(f)
        << "</summary>\n<div>";
    if (f.type == kLeakedHandle && !f.handle_details.empty())
        out << "<p class=\"blurb\">" << escape(f.handle_details) << " · pid " << f.pid << "</p>\n";
    else
        out << "<p class=\"blurb\">pid " << f.pid << "</p>\n";
    if (f.reachability.status != FindingReachability::Status::None)
        out << "<p class=\"blurb reach\">" << escape(reachabilityPhrase(f)) << " <span class=\"k\">(" << escape(reachabilityKeyText(f))
            << ")</span></p>\n";
    writeComponents(f, out);
    writeStack(f.stack, out);
    out << "</div></details>\n";
}

// One line per leak above the cards: what grows where and how fast, linking to its card.
void writeLeakOverview(const std::vector<const Finding*>& leaks, std::ostream& out) {
    out << "<table class=\"overview\"><tr><th class=\"num\">#</th><th>function</th><th>location</th><th class=\"num\">per cycle</th>"
           "<th>reachability</th><th class=\"num\">grew</th><th></th></tr>\n";
    for (size_t i = 0; i < leaks.size(); ++i) {
        const Finding& f = *leaks[i];
        std::string rate = f.resource == "memory" ? "+" + formatBytes(f.bytes_per_cycle) + " in " + plural(f.count_per_cycle, "block")
                                                  : "+" + plural(f.count_per_cycle, f.handle_kind + " handle");
        out << "<tr><td class=\"num mono\">" << i + 1 << "</td><td><a href=\"#leak-" << i + 1 << "\"><code class=\"fn\">"
            << escape(topFunctionName(f)) << "</code></a></td><td>" << headlineLocationHtml(f)
            << "</td><td class=\"num\">" << escape(rate) << "</td><td class=\"reach\">" << escape(reachabilityPhrase(f))
            << "</td><td class=\"num\">" << f.cycles_grown << "/"
            << f.cycles_observed << "</td><td class=\"num\">" << gateTag(f) << "</td></tr>\n";
    }
    out << "</table>\n";
}

void writeSection(const Section& section, const std::vector<const Finding*>& findings, std::ostream& out,
                  const std::string& icicle = "") {
    out << "<section id=\"" << section.id << "\">\n<h2>" << section.title << " <span class=\"n\">" << findings.size()
        << "</span></h2>\n<p class=\"blurb\">" << escape(section.blurb) << "</p>\n";
    if (section.type == std::string(kGrowth)) {
        writeLeakOverview(findings, out);
        if (!icicle.empty())
            out << "<details class=\"icicle\" open><summary>memory growth per cycle by call path (outermost frame on top; "
                   "hover a box for its function and bytes)</summary>\n" << icicle << "\n</details>\n";
    }
    bool collapse = findings.size() > kCollapseAbove;
    if (collapse) out << "<details class=\"more\"><summary>show all " << findings.size() << "</summary>\n";
    for (size_t i = 0; i < findings.size(); ++i) {
        if (section.type == std::string(kGrowth)) writeLeak(*findings[i], i + 1, out);
        else writeRow(*findings[i], out);
    }
    if (collapse) out << "</details>\n";
    out << "</section>\n";
}

// Summary: processes, snapshots and a card per finding type linking to its section.
void writeSummary(const Report& report, const std::map<std::string, std::vector<const Finding*>>& by_type, std::ostream& out) {
    out << "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n";
    for (const auto& section : sections()) {
        auto it = by_type.find(section.type);
        size_t count = it == by_type.end() ? 0 : it->second.size();
        bool gating = count && std::any_of(it->second.begin(), it->second.end(), [](const Finding* f) { return f->gating; });
        out << "<a class=\"card " << (count == 0 ? "zero" : gating ? "bad" : "warn") << "\" href=\"#" << section.id
            << "\"><div class=\"v\">" << count << "</div><div class=\"k\">" << section.title << "</div></a>\n";
    }
    out << "</div>\n";
    if (report.suppressed || report.baselined)
        out << "<p class=\"blurb\">Not shown: " << report.suppressed << " suppressed, " << report.baselined
            << " accepted by the baseline.</p>\n";
    out << "<table><tr><th class=\"num\">pid</th><th>executable</th><th class=\"num\">snapshots</th><th>labels</th></tr>\n";
    for (const auto& p : report.processes) {
        std::string labels;
        for (const auto& [label, count] : p.labels) labels += (labels.empty() ? "" : ", ") + label + " ×" + std::to_string(count);
        out << "<tr><td class=\"num mono\">" << p.pid << "</td><td class=\"mono fn\">" << escape(p.executable)
            << "</td><td class=\"num\">" << p.snapshots << "</td><td>" << escape(labels) << "</td></tr>\n";
    }
    out << "</table>\n";
    if (!report.notes.empty()) {
        out << "<ul class=\"notes\">\n";
        for (const auto& note : report.notes) out << "<li>" << escape(note) << "</li>\n";
        out << "</ul>\n";
    }
    out << "</section>\n";
}

class HtmlFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext& context) const override {
        tSourceUrl = context.source_url;
        const std::string icicle = html::svgGrowthIcicle(report);
        std::map<std::string, std::vector<const Finding*>> by_type;
        for (const auto& f : report.findings) by_type[f.type].push_back(&f);
        int snapshots = 0;
        for (const auto& p : report.processes) snapshots += p.snapshots;
        // Never "CLEAN" without evidence (Report::evidence): the same verdict word as every other format.
        const Verdict v = verdictOf(report);
        std::string verdict = verdictWord(v);
        std::transform(verdict.begin(), verdict.end(), verdict.begin(), [](unsigned char c) { return char(std::toupper(c)); });
        const char* verdict_class = v == Verdict::Leak ? "leak" : v == Verdict::Clean ? "clean" : "notjudged";

        out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            << "<title>leakscope: " << verdict << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
        out << "<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">leakscope<small>" << kToolVersion
            << "</small></div><span class=\"verdict " << verdict_class << "\">" << verdict
            << "</span><span class=\"headline\">" << plural(double(report.findings.size()), "finding") << " in "
            << plural(double(report.processes.size()), "process") << ", " << plural(snapshots, "snapshot")
            << "</span></div></header>\n<main class=\"wrap\">\n";
        writeSummary(report, by_type, out);
        if (!report.not_judged.empty()) {
            out << "<section><h2>Not judged</h2><ul class=\"notjudged-list\">\n";
            for (const auto& n : report.not_judged)
                out << "<li>" << notJudgedTitle(n) << ": " << (n.pid ? html::escape(notJudgedSubject(n)) + ": " : "")
                    << html::escape(n.reason) << "</li>\n";
            out << "</ul></section>\n";
        }
        if (report.findings.empty() && report.evidence)
            out << "<section><p class=\"empty\">No findings: nothing grew across cycles and nothing leaked at exit.</p></section>\n";
        for (const auto& section : sections()) {
            auto it = by_type.find(section.type);
            if (it != by_type.end()) writeSection(section, it->second, out, icicle);
        }
        // Types this version does not know yet still appear, as plain rows.
        for (const auto& [type, findings] : by_type) {
            if (!findFindingType(type)) writeSection({type.c_str(), "other", "Other findings", ""}, findings, out);
        }
        out << "</main>\n<footer class=\"wrap\">leakscope " << kToolVersion
            << " · self-contained report: no scripts, no network</footer>\n</body>\n</html>\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeHtmlFormatter() { return std::make_unique<HtmlFormatter>(); }

}  // namespace leakscope::analyzer
