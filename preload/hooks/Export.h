// Marks a function as part of libleakscope.so's interface (an interposed C symbol or the public API);
// everything else in the library is hidden (-fvisibility=hidden).
#pragma once

#define LEAKSCOPE_EXPORT extern "C" __attribute__((visibility("default")))
