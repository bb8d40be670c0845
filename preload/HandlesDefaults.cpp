// Weak defaults of the handle-tracking functions TrackerCore.h declares, so libleakscope.so links
// and runs (tracking memory only) when preload/handles/ is not built. The real definitions in
// preload/handles/ override these at link time.
#include "TrackerCore.h"

namespace leakscope::preload::handles {

__attribute__((weak)) void initialise() noexcept {}

// No handle tracking: the Handles section is written empty, so readers see "no handles" rather than
// a missing section.
__attribute__((weak)) bool writeSnapshotSection(SnapshotSectionSink& sink) noexcept {
    return sink.beginSection(snapshot::SectionType::Handles, sizeof(snapshot::HandleRecord)) && sink.endSection();
}

__attribute__((weak)) void fillCounters(snapshot::Counters&) noexcept {}

__attribute__((weak)) void afterForkInChild() noexcept {}

}  // namespace leakscope::preload::handles
