// The per-thread owner token of the spin locks (SpinLock.h).
#include "tables/SpinLock.h"

namespace leakscope::preload {

__thread char tLockOwner __attribute__((tls_model("initial-exec"))) = 0;

}  // namespace leakscope::preload
