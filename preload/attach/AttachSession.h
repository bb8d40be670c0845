// `leakscope attach` inside the target: what the tool thread and the dlopen hook ask of the attach
// session (AttachSession.cpp). The session's entry, leakscope_attach_start, is exported for the
// injector; docs/attach.md describes the protocol.
#pragma once

namespace leakscope::preload::attach {

// Redirects the slots of modules loaded since the last pass (the dlopen hook, the tool thread).
void redirectNewModules() noexcept;

// The tool thread's start: while attached, the snapshot that opens the window.
void onToolThreadStart() noexcept;

// After each wake of the tool thread (request or interval): while attached, redirects new modules
// and ends the session when the injector asked for it (<dir>/.detach-<pid>) or has gone. Returns true
// when the session ended and the tool thread must leave.
bool onToolThreadWake() noexcept;

}  // namespace leakscope::preload::attach
