// Environment parsing for the preload. Every variable is documented in docs/configuration.md.
#include "lifecycle/Config.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace leakscope::preload {
namespace {

Config gConfig;

// Where settings come from: the environment, or (`leakscope attach`) the text the injector passed,
// "NAME=value" lines copied here with each newline turned into a NUL.
char gSettingsText[8192];
bool gFromText = false;

const char* setting(const char* name) noexcept {
    if (!gFromText) return getenv(name);
    size_t length = std::strlen(name);
    for (const char* entry = gSettingsText; *entry; entry += std::strlen(entry) + 1)
        if (std::strncmp(entry, name, length) == 0 && entry[length] == '=') return entry + length + 1;
    return nullptr;
}

// Strict unsigned decimal: digits only, no sign, no overflow.
bool parseUnsigned(const char* text, uint64_t* value) noexcept {
    if (!text || !*text) return false;
    uint64_t result = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9') return false;
        uint64_t digit = static_cast<uint64_t>(*p - '0');
        if (result > (UINT64_MAX - digit) / 10) return false;
        result = result * 10 + digit;
    }
    *value = result;
    return true;
}

bool copyString(char* out, size_t size, const char* text) noexcept {
    size_t length = std::strlen(text);
    if (length >= size) return false;
    std::memcpy(out, text, length + 1);
    return true;
}

void readDepth() noexcept {
    const char* text = setting("LEAKSCOPE_DEPTH");
    if (!text) return;
    uint64_t value = 0;
    if (parseUnsigned(text, &value) && value >= 1 && value <= 256) {
        gConfig.depth = static_cast<uint32_t>(value);
        return;
    }
    logMessage(LogLevel::Warn, "LEAKSCOPE_DEPTH=\"%s\" is not a number from 1 to 256; using 32", text);
}

void readTrack() noexcept {
    const char* text = setting("LEAKSCOPE_TRACK");
    if (!text) return;
    bool memory = false, handles = false;
    const char* item = text;
    while (true) {
        const char* end = std::strchr(item, ',');
        size_t length = end ? static_cast<size_t>(end - item) : std::strlen(item);
        if (length == 6 && std::strncmp(item, "memory", 6) == 0) {
            memory = true;
        } else if (length == 7 && std::strncmp(item, "handles", 7) == 0) {
            handles = true;
        } else if (length != 0) {
            logMessage(LogLevel::Warn, "LEAKSCOPE_TRACK=\"%s\" is not a comma list of memory, handles; using memory,handles",
                       text);
            return;
        }
        if (!end) break;
        item = end + 1;
    }
    gConfig.track_memory = memory;
    gConfig.track_handles = handles;
}

void readInterval() noexcept {
    const char* text = setting("LEAKSCOPE_INTERVAL_MS");
    if (!text) return;
    uint64_t value = 0;
    if (parseUnsigned(text, &value) && value <= 86400000ull * 365) {
        gConfig.interval_ms = value;
        return;
    }
    logMessage(LogLevel::Warn, "LEAKSCOPE_INTERVAL_MS=\"%s\" is not a number of milliseconds; using 0 (off)", text);
}

// A 0/1 switch; anything else keeps the default with one warning.
void readSwitch(const char* name, bool* value) noexcept {
    const char* text = setting(name);
    if (!text) return;
    if (std::strcmp(text, "1") == 0) {
        *value = true;
    } else if (std::strcmp(text, "0") == 0) {
        *value = false;
    } else {
        logMessage(LogLevel::Warn, "%s=\"%s\" is not 0 or 1; using %d", name, text, *value ? 1 : 0);
    }
}

void readLogLevel() noexcept {
    const char* text = setting("LEAKSCOPE_LOG");
    if (!text) return;
    static constexpr struct {
        const char* name;
        LogLevel level;
    } kLevels[] = {{"off", LogLevel::Off},   {"error", LogLevel::Error}, {"warn", LogLevel::Warn},
                   {"info", LogLevel::Info}, {"debug", LogLevel::Debug}};
    for (const auto& known : kLevels) {
        if (std::strcmp(text, known.name) == 0) {
            gConfig.log_level = known.level;
            setLogLevel(known.level);
            return;
        }
    }
    logMessage(LogLevel::Warn, "LEAKSCOPE_LOG=\"%s\" is not one of off, error, warn, info, debug; using warn", text);
}

// A relative directory (the default included) is made absolute here, once, against the working directory
// the process started in: a program that chdir()s later must not scatter its snapshots, and a daemon
// that chdir("/")s must not create /leakscope-out. When the working directory cannot be read (deleted,
// or the path is too long) the relative path is kept as it is.
void makeAbsolute(char* directory, size_t capacity) noexcept {
    if (directory[0] == '/') return;
    char absolute[sizeof(Config::output_dir)];
    if (!getcwd(absolute, sizeof(absolute))) return;
    const char* relative = directory;
    if (relative[0] == '.' && relative[1] == '/') relative += 2;
    size_t base = std::strlen(absolute);
    size_t length = std::strlen(relative);
    bool slash = base > 0 && absolute[base - 1] != '/';
    if (base + slash + length + 1 > capacity) return;
    if (slash) absolute[base++] = '/';
    std::memcpy(absolute + base, relative, length + 1);
    std::memcpy(directory, absolute, base + length + 1);
}

void readOutputDir() noexcept {
    const char* text = setting("LEAKSCOPE_OUTPUT_DIR");
    if (text && !(*text && copyString(gConfig.output_dir, sizeof(gConfig.output_dir), text)))
        logMessage(LogLevel::Warn, "LEAKSCOPE_OUTPUT_DIR is empty or longer than 4095 bytes; using ./leakscope-out");
    makeAbsolute(gConfig.output_dir, sizeof(gConfig.output_dir));
}

void readSnapSignal() noexcept {
    const char* text = setting("LEAKSCOPE_SNAP_SIGNAL");
    if (!text) return;
    uint64_t value = 0;
    if (parseUnsigned(text, &value) && value >= 1 && value <= static_cast<uint64_t>(SIGRTMAX) && value != SIGKILL &&
        value != SIGSTOP) {
        gConfig.snap_signal = static_cast<int>(value);
        return;
    }
    logMessage(LogLevel::Warn, "LEAKSCOPE_SNAP_SIGNAL=\"%s\" is not a signal number that can be caught; using SIGRTMIN+7",
               text);
}

void readReachability() noexcept {
    if (const char* text = getenv("LEAKSCOPE_REACHABILITY")) {
        static constexpr struct {
            const char* name;
            ReachabilityMode mode;
        } kModes[] = {{"off", ReachabilityMode::Off}, {"exit", ReachabilityMode::Exit}, {"all", ReachabilityMode::All}};
        bool known = false;
        for (const auto& mode : kModes) {
            if (std::strcmp(text, mode.name) == 0) {
                gConfig.reachability = mode.mode;
                known = true;
            }
        }
        if (!known) logMessage(LogLevel::Warn, "LEAKSCOPE_REACHABILITY=\"%s\" is not one of off, exit, all; using exit", text);
    }
    if (const char* text = getenv("LEAKSCOPE_REACHABILITY_BUDGET_MS")) {
        uint64_t value = 0;
        if (parseUnsigned(text, &value) && value >= 1 && value <= 600000) gConfig.reachability_budget_ms = value;
        else
            logMessage(LogLevel::Warn,
                       "LEAKSCOPE_REACHABILITY_BUDGET_MS=\"%s\" is not a number of milliseconds from 1 to 600000; using 5000",
                       text);
    }
}

void readSeccomp() noexcept {
    const char* text = setting("LEAKSCOPE_SECCOMP");
    if (!text) return;
    if (std::strcmp(text, "skip") == 0 || std::strcmp(text, "track") == 0) {
        gConfig.track_sandboxed = text[0] == 't';
        return;
    }
    logMessage(LogLevel::Warn, "LEAKSCOPE_SECCOMP=\"%s\" is not one of skip, track; using skip", text);
}

void readFailAlloc() noexcept {
    const char* text = setting("LEAKSCOPE_FAIL_ALLOC");
    if (!text || !*text) return;
    if (copyString(gConfig.fail_alloc, sizeof(gConfig.fail_alloc), text)) return;
    logMessage(LogLevel::Warn, "LEAKSCOPE_FAIL_ALLOC is longer than 1023 bytes; fault injection is off");
}

void readSettings() noexcept {
    gConfig.starting_euid = geteuid();
    readLogLevel();  // first, so that the other warnings honour LEAKSCOPE_LOG=off
    readOutputDir();
    readDepth();
    readTrack();
    readInterval();
    readSwitch("LEAKSCOPE_FOLLOW_EXEC", &gConfig.follow_exec);
    readSwitch("LEAKSCOPE_VERIFY_UNWIND", &gConfig.verify_unwind);
    readSnapSignal();
    readFailAlloc();
    readReachability();
    readSeccomp();
}

}  // namespace

void loadConfig() noexcept {
    rememberStartingStderr();  // runs in the preload's constructor: fd 2 is still the starting one
    readSettings();
}

bool loadConfigFromText(const char* text) noexcept {
    size_t length = std::strlen(text);
    if (length >= sizeof(gSettingsText) - 1) return false;
    gConfig = Config{};
    std::memcpy(gSettingsText, text, length + 1);
    gSettingsText[length + 1] = '\0';  // the list ends with an empty entry
    for (size_t i = 0; i < length; ++i)
        if (gSettingsText[i] == '\n') gSettingsText[i] = '\0';
    gFromText = true;
    setLogLevel(LogLevel::Off);  // so that a bad value in the text is not reported on the program's stderr
    readSettings();
    // An attached process's stderr is the program's, which the tool never writes to: the injector
    // checks the values it passes, and messages stay off whatever LEAKSCOPE_LOG says.
    setLogLevel(LogLevel::Off);
    return true;
}

const Config& config() noexcept { return gConfig; }

}  // namespace leakscope::preload
