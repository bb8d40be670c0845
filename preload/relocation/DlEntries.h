// The dlopen and dlsym entries that redirected slots point at (DlEntries.cpp): libleakscope.so does not
// export dlopen or dlsym; GotPatcher puts these entries into the program's slots for them. Two users,
// never both in one process: `leakscope attach` (preload/attach/) and the preload's optional hooks
// (OptionalHooks.h).
#pragma once

namespace leakscope::preload::relocation {

// Called after a dlopen that returned a handle, on the calling thread, with errno saved around it;
// and not at all for the dlopens whose search depends on their caller (those are tail calls, see
// DlEntries.cpp): the listener must also catch up at its other occasions. Set before any slot points
// at the entry.
void setModuleLoadListener(void (*listener)() noexcept) noexcept;

// dlsym's answer for a name the listener owner redirects: returns the address to give the caller,
// or nullptr to let the real dlsym answer with the caller's own scope. Set before any slot points
// at the dlsym entry.
void setSymbolAnswer(void* (*answer)(void* handle, const char* name) noexcept) noexcept;

// The real functions (the global scope's), which the entries call or jump to.
void setRealDlFunctions(void* dlopen_function, void* dlsym_function) noexcept;

}  // namespace leakscope::preload::relocation

extern "C" {
void* leakscope_dlopen_entry(const char* file, int mode);     // assembly, DlEntries.cpp
void* leakscope_dlsym_entry(void* handle, const char* name);  // assembly, DlEntries.cpp
}
