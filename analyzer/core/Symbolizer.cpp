#include "core/Symbolizer.h"

#include "core/Hex.h"
#include "core/ModuleFileCheck.h"
#include "core/SymbolCache.h"
#include "core/SymbolIndex.h"
#include "leakscope/ReturnAddress.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace leakscope::analyzer {
namespace {

std::string demangle(const char* name) {
    if (!name) return "";
    // .dynsym names may carry a symbol version ("__libc_start_main@@GLIBC_2.34"): not part of the name.
    std::string plain(name);
    if (auto at = plain.find('@'); at != std::string::npos && at > 0) plain.erase(at);
    name = plain.c_str();
    if (name[0] != '_' || name[1] != 'Z') return plain;
    int status = 0;
    char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status != 0 || !demangled) return name;
    std::string result(demangled);
    std::free(demangled);
    return result;
}

// The name of a subprogram or inlined-subroutine DIE: its linkage name demangled (which carries the
// parameter list and namespace), else its plain name, following DW_AT_abstract_origin for inline copies.
std::string dieFunctionName(Dwarf_Die* die) {
    Dwarf_Attribute attribute;
    for (int name_attribute : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name})
        if (dwarf_attr_integrate(die, name_attribute, &attribute))
            if (const char* linkage = dwarf_formstring(&attribute)) return demangle(linkage);
    if (dwarf_attr_integrate(die, DW_AT_name, &attribute))
        if (const char* name = dwarf_formstring(&attribute)) return name;
    return "";
}

// Where an inlined subroutine was called from (its DW_AT_call_file / DW_AT_call_line).
void callSite(Dwarf_Die* inlined, Dwarf_Die* cudie, std::string& file, int& line) {
    Dwarf_Attribute attribute;
    Dwarf_Word value = 0;
    file.clear();
    line = 0;
    Dwarf_Files* files = nullptr;
    size_t file_count = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attribute), &value) == 0 &&
        dwarf_getsrcfiles(cudie, &files, &file_count) == 0 && value < file_count)
        if (const char* name = dwarf_filesrc(files, value, nullptr, nullptr)) file = name;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attribute), &value) == 0) line = int(value);
}

// "size:mtime" of a file, "-" when there is none: part of a cache fingerprint.
std::string fileStamp(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return "-";
    return std::to_string(info.st_size) + ":" + std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
}

// What the cached frames of a module were made from: the module file and every place
// dwfl_standard_find_debuginfo looks for its debug file (by build-id under /usr/lib/debug, and by
// .gnu_debuglink beside it, in .debug/ and under /usr/lib/debug), so a debug package installed or
// removed after a cached run makes the cache stale instead of hiding its file:line.
std::string debugFingerprint(Dwfl_Module* module, const std::string& path, const std::string& build_id) {
    std::string hex = hexBytes(build_id);
    std::string text = fileStamp(path) + " " + fileStamp("/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug");
    GElf_Addr bias = 0;
    if (Elf* elf = dwfl_module_getelf(module, &bias)) {
        GElf_Word crc = 0;
        if (const char* link = dwelf_elf_gnu_debuglink(elf, &crc)) {
            std::string dir = std::filesystem::path(path).parent_path().string();
            for (const std::string& candidate : {dir + "/" + link, dir + "/.debug/" + link, "/usr/lib/debug" + dir + "/" + link})
                text += " " + fileStamp(candidate);
        }
    }
    return text;
}

// Where a copy of a build is found by its build-id when the module's path holds another build: a debug
// package's file (/usr/lib/debug/.build-id/ab/cdef….debug: symbols and DWARF at the same addresses) and
// debuginfod's client cache (DEBUGINFOD_CACHE_PATH, else $XDG_CACHE_HOME/debuginfod_client, else
// ~/.cache/debuginfod_client: <hex>/executable is the original file, <hex>/debuginfo its debug file).
std::vector<std::string> filesWithBuildId(const std::string& build_id) {
    const std::string hex = hexBytes(build_id);
    std::vector<std::string> files;
    if (hex.size() > 2) files.push_back("/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug");
    std::string debuginfod;
    if (const char* path = std::getenv("DEBUGINFOD_CACHE_PATH"); path && *path) debuginfod = path;
    else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') debuginfod = std::string(xdg) + "/debuginfod_client";
    else if (const char* home = std::getenv("HOME"); home && *home == '/') debuginfod = std::string(home) + "/.cache/debuginfod_client";
    if (!debuginfod.empty() && !hex.empty())
        for (const char* kind : {"executable", "debuginfo"}) files.push_back(debuginfod + "/" + hex + "/" + kind);
    return files;
}

const Dwfl_Callbacks kOfflineCallbacks = {
    .find_elf = nullptr,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

}  // namespace

std::string moduleBasename(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// One module file opened with libdw at load bias 0, so lookups use file-relative addresses and the
// same opened file serves every process that mapped it, wherever ASLR put it.
class ModuleDebugInfo {
public:
    ModuleDebugInfo(const snapshot::Module& module, const SymbolCache& cache) : basename_(moduleBasename(module.path)) {
        if (module.path.empty() || module.path[0] != '/') return;
        const bool at_path = std::filesystem::is_regular_file(module.path);
        if (module.build_id.empty()) {
            if (!at_path) return;
            // Without a build-id, only the file's size, mtime and inode at the run (version-3 snapshots)
            // tell the run's file from one rebuilt in place since: another file is not opened at all, its
            // symbols would name the wrong functions. A snapshot that did not record the file is trusted.
            if (module.file)
                if (auto now = currentModuleFile(module.path)) {
                    change_ = moduleFileDifference(*module.file, *now);
                    if (!change_.empty()) return;
                }
            openElf(module.path);
        } else if (!(at_path && openElf(module.path) && file_build_id_ == module.build_id)) {
            // The path holds another build (or nothing): the run's build is still used when a copy of it
            // is found by its build-id; otherwise a file rebuilt or replaced since the run would name the
            // wrong functions, so its frames stay module+offset.
            const bool other_build = module_ != nullptr;
            closeElf();
            for (const std::string& candidate : filesWithBuildId(module.build_id)) {
                std::error_code unreadable;  // a cache directory we may not enter is as good as none
                if (std::filesystem::is_regular_file(candidate, unreadable) && openElf(candidate) && file_build_id_ == module.build_id)
                    break;
                closeElf();
            }
            if (!module_ && other_build) change_ = "build-id differs";
        }
        if (usable() && cache.enabled() && !file_build_id_.empty()) {
            build_id_ = file_build_id_;
            fingerprint_ = debugFingerprint(module_, elf_path_, build_id_);
            cache_ = cache.load(build_id_, fingerprint_);
            for (auto& [address, frames] : cache_) {
                if (frames.empty()) unnamed_.push_back(address);
                for (auto& frame : frames) frame.module = basename_;
            }
        }
    }
    ~ModuleDebugInfo() {
        if (dwfl_) dwfl_end(dwfl_);
    }
    ModuleDebugInfo(const ModuleDebugInfo&) = delete;
    ModuleDebugInfo& operator=(const ModuleDebugInfo&) = delete;

    bool usable() const { return module_ && change_.empty(); }
    // Why the file at the path is not the run's ("build-id differs", "size/mtime differ"), "" when it
    // is or nothing tells: every frame in it is then "module+offset" of the run's build (stale).
    const std::string& change() const { return change_; }
    // Distinct addresses looked up in this module so far.
    size_t addressesLookedUp() const { return cache_.size(); }

    // Frames for a file-relative address (cached). `offset` is what unknown frames print.
    const std::vector<SymbolizedFrame>& lookup(uint64_t relative, uint64_t offset) {
        auto [it, inserted] = cache_.try_emplace(relative);
        if (inserted) {
            it->second = usable() ? describe(relative) : std::vector<SymbolizedFrame>{};
            if (it->second.empty()) unnamed_.push_back(relative);
            described_ += 1;
        }
        if (it->second.empty()) it->second.push_back(unknownFrame(offset));
        return it->second;
    }

    // Writes what this run described to the persistent cache (nothing when everything came from it),
    // merged into what the file holds now: the same build-id mapped from two paths (/lib and /usr/lib)
    // is two modules here, and another report may have saved since this one loaded.
    void save(const SymbolCache& cache) const {
        if (build_id_.empty() || described_ == 0) return;
        SymbolCache::Entries entries = cache.load(build_id_, fingerprint_, /*quiet=*/true);  // warned at load
        for (const auto& [address, frames] : cache_) entries[address] = frames;
        // What describe gave, not the "module+offset" frame lookup made of nothing: the offset is the caller's.
        for (uint64_t address : unnamed_) entries[address].clear();
        cache.store(build_id_, fingerprint_, entries);
    }

private:
    // Opens `file` with libdw as this module (at load bias 0); false when libdw cannot.
    bool openElf(const std::string& file) {
        dwfl_ = dwfl_begin(&kOfflineCallbacks);
        if (!dwfl_) return false;
        dwfl_report_begin(dwfl_);
        module_ = dwfl_report_elf(dwfl_, basename_.c_str(), file.c_str(), -1, 0, true);
        dwfl_report_end(dwfl_, nullptr, nullptr);
        if (!module_) return false;
        const unsigned char* bits = nullptr;
        GElf_Addr vaddr = 0;
        int size = dwfl_module_build_id(module_, &bits, &vaddr);
        file_build_id_ = size > 0 ? std::string(reinterpret_cast<const char*>(bits), size_t(size)) : "";
        elf_path_ = file;
        return true;
    }
    void closeElf() {
        if (dwfl_) dwfl_end(dwfl_);
        dwfl_ = nullptr;
        module_ = nullptr;
        file_build_id_.clear();
        elf_path_.clear();
    }

    SymbolizedFrame unknownFrame(uint64_t offset) const {
        SymbolizedFrame frame;
        frame.function = basename_ + "+" + hexAddress(offset);
        frame.module = basename_;
        frame.stale = !change_.empty();
        return frame;
    }

    std::vector<SymbolizedFrame> describe(uint64_t address) {
        std::vector<SymbolizedFrame> frames;
        if (!symbols_) symbols_ = std::make_unique<SymbolIndex>(module_);
        const char* symbol_name = symbols_->name(address);
        std::string file;
        int line = 0;
        if (Dwfl_Line* source = dwfl_module_getsrc(module_, address)) {
            int line_number = 0;
            if (const char* name = dwfl_lineinfo(source, nullptr, &line_number, nullptr, nullptr, nullptr)) {
                file = name;
                line = line_number;
            }
        }
        Dwarf_Addr bias = 0;
        if (Dwarf_Die* cudie = dwfl_module_addrdie(module_, address, &bias)) {
            Dwarf_Die* scopes = nullptr;
            int count = dwarf_getscopes(cudie, address - bias, &scopes);
            for (int i = 0; i < count; ++i) {
                int tag = dwarf_tag(&scopes[i]);
                if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
                SymbolizedFrame frame;
                frame.function = dieFunctionName(&scopes[i]);
                frame.file = file;
                frame.line = line;
                frame.module = basename_;
                frame.inlined = tag == DW_TAG_inlined_subroutine;
                frame.known = !frame.function.empty();
                if (tag == DW_TAG_subprogram) {
                    // The ELF symbol's demangled name carries the parameter list for C++; prefer it.
                    if (symbol_name) frame.function = demangle(symbol_name), frame.known = true;
                    frames.push_back(std::move(frame));
                    break;
                }
                frames.push_back(std::move(frame));
                callSite(&scopes[i], cudie, file, line);  // the next (outer) frame is at the call site
            }
            std::free(scopes);
        }
        if (frames.empty() || frames.back().inlined) {
            // No DWARF (or it ended in an inline chain): the symbol table names the real function.
            SymbolizedFrame frame;
            frame.function = symbol_name ? demangle(symbol_name) : "";
            frame.known = symbol_name != nullptr;
            frame.file = file;
            frame.line = line;
            frame.module = basename_;
            if (frame.known) frames.push_back(std::move(frame));
        }
        return frames;
    }

    std::string basename_;
    Dwfl* dwfl_ = nullptr;
    Dwfl_Module* module_ = nullptr;
    std::string change_;
    std::string elf_path_;       // the file opened: the module's path, or a copy of the run's build found by build-id
    std::string file_build_id_;  // that file's build-id ("" when it has none)
    std::unique_ptr<SymbolIndex> symbols_;  // read on the first lookup
    std::unordered_map<uint64_t, std::vector<SymbolizedFrame>> cache_;
    std::vector<uint64_t> unnamed_;  // addresses describe named nothing (their cache_ frame is "module+offset")
    std::string build_id_, fingerprint_;  // set when the persistent cache applies to this module
    size_t described_ = 0;  // addresses described in this run (not read from the persistent cache)
};

Symbolizer::Symbolizer(std::string cache_directory) : cache_(std::make_unique<SymbolCache>(std::move(cache_directory))) {}
Symbolizer::~Symbolizer() = default;

void Symbolizer::saveCache() const {
    for (const auto& [key, info] : modules_) info->save(*cache_);
}

Symbolizer::FileStamp Symbolizer::fileStampOf(const snapshot::Module& module) {
    // A build-id names the contents wherever they are; without one, two files at one path (a rebuild
    // between two runs read by one report) are two modules.
    if (!module.build_id.empty() || !module.file) return {};
    return {true, module.file->size, module.file->mtime_ns, module.file->device, module.file->inode};
}

ModuleDebugInfo* Symbolizer::open(const snapshot::Module& module) {
    const FileStamp stamp = fileStampOf(module);
    auto it = modules_.find(std::make_tuple(std::string_view(module.path), std::string_view(module.build_id), stamp));
    if (it == modules_.end()) {
        it = modules_.emplace(std::make_tuple(module.path, module.build_id, stamp), std::make_unique<ModuleDebugInfo>(module, *cache_)).first;
        if (!it->second->change().empty()) changed_.emplace_back(module.path, it->second.get());
    }
    return it->second.get();
}

std::vector<Symbolizer::ChangedModule> Symbolizer::changedModules() const {
    // One per path: two runs' builds at one path, both replaced since, are one line.
    std::vector<ChangedModule> changed;
    for (const auto& [path, info] : changed_) {
        auto same = std::find_if(changed.begin(), changed.end(), [&](const ChangedModule& m) { return m.path == path; });
        if (same == changed.end()) changed.push_back({path, info->change(), info->addressesLookedUp()});
        else same->frames += info->addressesLookedUp();
    }
    return changed;
}

std::vector<std::string> Symbolizer::changedModuleNotes() const {
    std::vector<std::string> notes;
    for (const auto& module : changedModules())
        notes.push_back(module.path + " changed after the run (" + module.reason + "): its " + std::to_string(module.frames) +
                        (module.frames == 1 ? " frame is" : " frames are") + " shown unsymbolized");
    return notes;
}

const std::vector<SymbolizedFrame>& Symbolizer::framesAt(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                         bool return_address) {
    return framesAt(modules, address, return_address, nullptr);
}

const std::vector<SymbolizedFrame>& Symbolizer::framesAt(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                         bool return_address, OwnerMemo* memo) {
    uint64_t lookup = return_address ? snapshot::callSiteOf(address) : address;
    const snapshot::Module* owner = nullptr;
    for (const auto& module : modules) {
        if (lookup >= module.start && lookup < module.end) {
            owner = &module;
            if (module.unloaded_sequence == 0) break;  // a loaded module wins over one unloaded from the same range
        }
    }
    if (owner) {
        ModuleDebugInfo* info = memo && memo->module == owner ? memo->info : open(*owner);
        if (memo) *memo = {owner, info};
        return info->lookup(lookup - owner->load_bias, address - owner->load_bias);
    }
    auto [it, inserted] = outside_modules_.try_emplace(address);
    if (inserted) {
        SymbolizedFrame frame;
        frame.function = hexAddress(address);
        it->second.push_back(std::move(frame));
    }
    return it->second;
}

std::vector<SymbolizedFrame> Symbolizer::symbolizeAddress(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                          bool return_address) {
    std::vector<SymbolizedFrame> frames = framesAt(modules, address, return_address);
    for (auto& frame : frames) frame.address = address;
    return frames;
}

std::vector<const SymbolizedFrame*> Symbolizer::borrowStack(const std::vector<snapshot::Module>& modules,
                                                            const std::vector<uint64_t>& frames) {
    std::vector<const SymbolizedFrame*> stack;
    stack.reserve(frames.size());
    OwnerMemo memo;
    for (uint64_t address : frames)
        for (const auto& frame : framesAt(modules, address, true, &memo)) stack.push_back(&frame);
    return stack;
}

SymbolizedStack Symbolizer::symbolizeStack(const std::vector<snapshot::Module>& modules, const std::vector<uint64_t>& frames) {
    // Two passes: the cached frames first, then one exact allocation. Findings hold thousands of deep
    // stacks before merging (cc1plus: 10,000), so a vector's growth slack is megabytes of page faults.
    std::vector<const std::vector<SymbolizedFrame>*> cached;
    cached.reserve(frames.size());
    size_t count = 0;
    OwnerMemo memo;
    for (uint64_t address : frames) {
        // Frame 0 is a return address like every other (ReturnAddress.h): the call into malloc/open.
        cached.push_back(&framesAt(modules, address, true, &memo));
        count += cached.back()->size();
    }
    SymbolizedStack stack;
    stack.reserve(count);
    for (size_t i = 0; i < frames.size(); ++i)
        for (const auto& frame : *cached[i]) {
            stack.push_back(frame);
            stack.back().address = frames[i];
        }
    return stack;
}

}  // namespace leakscope::analyzer
