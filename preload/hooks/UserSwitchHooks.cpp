// setuid, seteuid, setreuid, setresuid: a process that drops root (an nginx worker) gets a directory it
// can still write its snapshots into, made while it is still root (snapshot/UserSwitchDirectory.h).
// The switch itself is the program's call, unchanged.
#include <sys/types.h>
#include <unistd.h>

#include "hooks/Export.h"
#include "hooks/RealFunctions.h"
#include "lifecycle/ProcessRecord.h"
#include "snapshot/UserSwitchDirectory.h"

namespace {

// Runs the real call between the preparation for `new_euid` and its undoing on failure.
template <typename Call>
int switchingUser(uid_t new_euid, Call call) noexcept {
    leakscope::preload::process_record::noteUserSwitch(new_euid);
    leakscope::preload::prepareUserSwitch(new_euid);
    const int result = call();
    if (result != 0) leakscope::preload::userSwitchFailed();
    return result;
}

}  // namespace

LEAKSCOPE_EXPORT int setuid(uid_t uid) {
    static constinit leakscope::preload::RealFunction<int (*)(uid_t)> real_function("setuid");
    auto real = real_function.get();
    return switchingUser(uid, [&] { return real(uid); });
}

LEAKSCOPE_EXPORT int seteuid(uid_t euid) {
    static constinit leakscope::preload::RealFunction<int (*)(uid_t)> real_function("seteuid");
    auto real = real_function.get();
    return switchingUser(euid, [&] { return real(euid); });
}

LEAKSCOPE_EXPORT int setreuid(uid_t ruid, uid_t euid) {
    static constinit leakscope::preload::RealFunction<int (*)(uid_t, uid_t)> real_function("setreuid");
    auto real = real_function.get();
    return switchingUser(euid, [&] { return real(ruid, euid); });
}

LEAKSCOPE_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid) {
    static constinit leakscope::preload::RealFunction<int (*)(uid_t, uid_t, uid_t)> real_function("setresuid");
    auto real = real_function.get();
    return switchingUser(euid, [&] { return real(ruid, euid, suid); });
}
