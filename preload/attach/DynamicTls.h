// Force-included into every source of libleakscope-attach.so (preload/CMakeLists.txt): the sources'
// explicit tls_model("initial-exec") attributes become global-dynamic, so the library can be
// dlopen'd into a running process (glibc's static TLS reserve for late libraries is ~1.5 KiB).
#pragma once
#define tls_model(model) tls_model("global-dynamic")
