// The preload's optional hooks: jemalloc's extended API and C23's sized frees (hooks/JemallocHooks.h),
// which libleakscope.so does not export, reach the program by GOT patching (GotPatcher.h) when the
// process has the real functions, and only then (docs/architecture.md, "The allocation functions
// interposed"). Nothing here runs in `leakscope attach`'s copy of the library.
#pragma once

namespace leakscope::preload::relocation {

// At the preload's start: the constructor, which runs before every other library's (-z initfirst)
// and before the program can have started a thread. Points every module's JUMP_SLOT/GLOB_DAT slots
// for a present function at its hook (not the defining module's own, not libleakscope's, not the
// loader's), and the slots for dlopen and dlsym at the entries of DlEntries.h, so that modules
// loaded later are redirected and `dlsym(RTLD_DEFAULT, "mallocx")` answers the hook. A name whose
// global definition is not the one behind libleakscope (the program defines mallocx itself) is
// left alone. Needs no allocation through the program's allocator; errno and dlerror() unchanged.
void startOptionalHooks() noexcept;

// Catches up with modules loaded since the last pass, for the dlopens the entry could not follow
// (a bare name whose search depends on its caller): called by the dlclose hook, the dlsym entry and
// the tool thread's wake. Does nothing before startOptionalHooks or when no module was added.
void redirectOptionalHooksInNewModules() noexcept;

}  // namespace leakscope::preload::relocation
