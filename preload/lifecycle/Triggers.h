// Snapshot triggers other than exit: the external request signal and the interval thread. (The API
// functions leakscope_preload_snapshot/leakscope_preload_active are exported from Triggers.cpp too.)
#pragma once

namespace leakscope::preload::triggers {

// Installs the request signal handler (only when the program has none for that signal) and starts
// the interval thread when LEAKSCOPE_INTERVAL_MS is set. Called once by the constructor.
void install() noexcept;

// fork() child: threads do not survive fork, so the interval thread is started again.
void restartInChild() noexcept;

}  // namespace leakscope::preload::triggers
