#include "formats/SvgGrowthPlot.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "formats/HtmlText.h"

namespace leakscope::analyzer::html {
namespace {

// Canvas and plot area, in SVG user units (the SVG scales down with the page through CSS).
constexpr double kWidth = 760, kHeight = 260;
constexpr double kLeft = 84, kRight = 24, kTop = 26, kBottom = 46;
constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;
// Beyond this many snapshots the dots would merge into the line; x labels are thinned to about 10.
constexpr size_t kMaxDots = 60;
constexpr size_t kMaxXLabels = 10;

constexpr const char* kLineColor = "#d9480f";

// A y axis from lo to hi in steps of `step`, all in the display unit (KiB, handles, ...).
struct Axis {
    double lo = 0, hi = 1, step = 1;
    int decimals = 0;
};

// 1, 2 or 5 times a power of ten, at least `raw`: tick steps people read without effort.
double niceStep(double raw) {
    double magnitude = std::pow(10, std::floor(std::log10(raw)));
    double fraction = raw / magnitude;
    return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
}

// About four intervals around [low, high]. The axis does not start at zero: a leak of a few KiB per
// cycle on top of megabytes of steady state must still show as a rising line. `whole`: counts and
// plain bytes have no fractional ticks.
Axis niceAxis(double low, double high, bool whole) {
    Axis axis;
    double span = high - low;
    if (span <= 0) span = std::max(1.0, std::fabs(high) / 10);
    axis.step = niceStep(span / 4);
    if (whole) axis.step = std::max(1.0, std::round(axis.step));
    axis.lo = std::floor(low / axis.step) * axis.step;
    axis.hi = std::ceil(high / axis.step) * axis.step;
    if (axis.hi - axis.lo < axis.step) axis.hi = axis.lo + axis.step;
    axis.decimals = axis.step >= 1 ? 0 : int(std::ceil(-std::log10(axis.step) - 1e-9));
    return axis;
}

std::string num(double value) { return formatFixed(value, 1); }

}  // namespace

std::string svgGrowthPlot(const Finding& f) {
    const bool memory = f.resource == "memory";
    const std::vector<uint64_t>& series = memory ? f.series_bytes : f.series_count;
    if (series.empty()) return "";
    const size_t n = series.size();

    auto [low_it, high_it] = std::minmax_element(series.begin(), series.end());
    ByteUnit unit = memory ? byteUnitFor(double(*high_it)) : ByteUnit{1, ""};
    Axis axis = niceAxis(double(*low_it) / unit.size, double(*high_it) / unit.size, unit.size == 1);
    auto x = [&](size_t i) { return kLeft + (n == 1 ? kPlotWidth / 2 : kPlotWidth * double(i) / double(n - 1)); };
    auto y = [&](double value) {
        return kTop + kPlotHeight - (value / unit.size - axis.lo) / (axis.hi - axis.lo) * kPlotHeight;
    };
    const std::string what = memory ? "live bytes" : "live " + (f.handle_kind.empty() ? std::string("handle") : f.handle_kind) + "s";
    const std::string unit_suffix = memory ? std::string(" ") + unit.suffix : "";

    std::ostringstream svg;
    svg << "<svg class=\"growth-plot\" viewBox=\"0 0 " << kWidth << " " << kHeight << "\" width=\"" << kWidth
        << "\" height=\"" << kHeight << "\" role=\"img\" font-size=\"12\" aria-label=\""
        << escape(what + " per '" + f.label + "' snapshot") << "\">\n";
    svg << "<title>" << escape(what + " per '" + f.label + "' snapshot, warm-up shaded") << "</title>\n";

    // Warm-up: the snapshots the growth rule skipped (docs/analysis.md), shaded so the eye discounts them.
    const size_t warmup = std::min<size_t>(size_t(std::max(f.warmup, 0)), n - 1);
    if (warmup > 0) {
        svg << "<rect class=\"warmup\" x=\"" << num(x(0)) << "\" y=\"" << kTop << "\" width=\"" << num(x(warmup) - x(0))
            << "\" height=\"" << kPlotHeight << "\" fill=\"#e9ecef\"/>\n";
        svg << "<text x=\"" << num((x(0) + x(warmup)) / 2) << "\" y=\"" << kTop - 8
            << "\" text-anchor=\"middle\" fill=\"#6c757d\">warm-up</text>\n";
    }

    // Horizontal grid and y tick labels.
    const int ticks = int(std::lround((axis.hi - axis.lo) / axis.step));
    for (int k = 0; k <= ticks; ++k) {
        double tick = axis.lo + k * axis.step;
        double ty = y(tick * unit.size);
        svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotWidth << "\" y1=\"" << num(ty) << "\" y2=\"" << num(ty)
            << "\" stroke=\"#dee2e6\" stroke-width=\"1\"/>\n";
        svg << "<text x=\"" << kLeft - 8 << "\" y=\"" << num(ty + 4) << "\" text-anchor=\"end\" fill=\"#495057\">"
            << escape(tick == 0 ? std::string("0") : formatFixed(tick, axis.decimals) + unit_suffix) << "</text>\n";
    }

    // X axis: snapshot numbers of the series, thinned on long runs.
    const size_t stride = (n + kMaxXLabels - 1) / kMaxXLabels;
    const double base = kTop + kPlotHeight;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotWidth << "\" y1=\"" << base << "\" y2=\"" << base
        << "\" stroke=\"#868e96\" stroke-width=\"1\"/>\n";
    for (size_t i = 0; i < n; i += stride)
        svg << "<text x=\"" << num(x(i)) << "\" y=\"" << base + 16 << "\" text-anchor=\"middle\" fill=\"#495057\">" << i << "</text>\n";
    svg << "<text x=\"" << kLeft + kPlotWidth / 2 << "\" y=\"" << kHeight - 6 << "\" text-anchor=\"middle\" fill=\"#343a40\">"
        << escape("snapshot of '" + f.label + "' (one per cycle)") << "</text>\n";
    svg << "<text transform=\"translate(16 " << kTop + kPlotHeight / 2 << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#343a40\">"
        << escape(what) << "</text>\n";

    // Onset: where the growing window starts, when later than the end of warm-up.
    if (size_t(f.onset_cycle) > warmup && size_t(f.onset_cycle) < n) {
        double ox = x(size_t(f.onset_cycle));
        svg << "<line class=\"onset\" x1=\"" << num(ox) << "\" x2=\"" << num(ox) << "\" y1=\"" << kTop << "\" y2=\"" << base
            << "\" stroke=\"#868e96\" stroke-dasharray=\"4 3\"/>\n";
        svg << "<text x=\"" << num(ox + 4) << "\" y=\"" << kTop + 12 << "\" fill=\"#6c757d\">onset</text>\n";
    }

    // The series: a light area under the line, the line, and a dot per snapshot with its value on hover.
    std::ostringstream points;
    for (size_t i = 0; i < n; ++i) points << (i ? " " : "") << num(x(i)) << "," << num(y(double(series[i])));
    svg << "<polygon class=\"growth-area\" points=\"" << num(x(0)) << "," << base << " " << points.str() << " "
        << num(x(n - 1)) << "," << base << "\" fill=\"" << kLineColor << "\" fill-opacity=\"0.08\"/>\n";
    svg << "<polyline class=\"growth-line\" points=\"" << points.str() << "\" fill=\"none\" stroke=\"" << kLineColor
        << "\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n";
    if (n <= kMaxDots)
        for (size_t i = 0; i < n; ++i)
            svg << "<circle cx=\"" << num(x(i)) << "\" cy=\"" << num(y(double(series[i]))) << "\" r=\"3.5\" fill=\"#fff\" stroke=\""
                << kLineColor << "\" stroke-width=\"2\"><title>"
                << escape("snapshot " + std::to_string(i) + ": " +
                          (memory ? formatBytes(double(series[i])) + " in " + formatCount(double(i < f.series_count.size() ? f.series_count[i] : 0)) + " blocks"
                                  : formatCount(double(series[i])) + " open"))
                << "</title></circle>\n";
    svg << "</svg>";
    return svg.str();
}

}  // namespace leakscope::analyzer::html
