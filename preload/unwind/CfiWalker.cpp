// CFA-rule cache and the walk over it (see CfiWalker.h). The DWARF side is deliberately small: the
// .eh_frame_hdr binary-search table as ld writes it, CIE/FDE headers, and the CFA program's opcodes;
// whatever falls outside that is reported as "needs the full unwinder", never approximated.
#include "unwind/CfiWalker.h"

#include <atomic>
#include <cstring>
#include <link.h>
#include <sys/mman.h>

#include "tables/SpinLock.h"

namespace leakscope::preload::cfi_walker {
namespace {

// ---- the rule of one pc, packed in 64 bits so that a cache entry is two words -------------------

enum RuleKind : uint64_t {
    kUnsupported = 0,  // the full unwinder must walk this frame
    kCfaFromRsp = 1,
    kCfaFromRbp = 2,
    kOutermost = 3,  // the return address is undefined: the bottom of the stack (_start, clone)
};
constexpr uint64_t kRbpSaved = 4;  // the caller's rbp is at CFA + rbp offset

// bits 0-1 kind, bit 2 rbp saved, bits 16-31 rbp offset (int16), bits 32-63 CFA offset (int32).
constexpr uint64_t packRule(uint64_t kind, bool rbp_saved, int16_t rbp_offset, int32_t cfa_offset) noexcept {
    return kind | (rbp_saved ? kRbpSaved : 0) | (uint64_t{static_cast<uint16_t>(rbp_offset)} << 16) |
           (uint64_t{static_cast<uint32_t>(cfa_offset)} << 32);
}
inline uint64_t kindOf(uint64_t rule) noexcept { return rule & 3; }
inline int64_t rbpOffsetOf(uint64_t rule) noexcept { return static_cast<int16_t>(rule >> 16); }
inline int64_t cfaOffsetOf(uint64_t rule) noexcept { return static_cast<int32_t>(rule >> 32); }

// ---- the cache: direct-mapped, read without a lock ----------------------------------------------
//
// Each entry is {pc, rule}. A writer (under gWriteLock) clears pc, writes the rule, then publishes
// pc; a reader loads pc, the rule, and pc again (the seqlock pattern), so it never pairs one pc with
// another pc's rule. On x86-64 all of it compiles to plain moves.

constexpr size_t kCacheEntries = size_t{1} << 14;  // 256 KiB reserved, touched only where used

struct CacheEntry {
    std::atomic<uint64_t> pc;
    std::atomic<uint64_t> rule;
};

CacheEntry* gCache = nullptr;
SpinLock gWriteLock;
std::atomic<uint64_t> gGeneration{0};  // bumped by every dlclose

inline CacheEntry& entryFor(uint64_t pc) noexcept {
    return gCache[((pc * 0x9E3779B97F4A7C15ull) >> 40) & (kCacheEntries - 1)];
}

inline bool cachedRule(uint64_t pc, uint64_t* rule) noexcept {
    CacheEntry& entry = entryFor(pc);
    if (entry.pc.load(std::memory_order_acquire) != pc) return false;
    uint64_t value = entry.rule.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (entry.pc.load(std::memory_order_relaxed) != pc) return false;
    *rule = value;
    return true;
}

void storeRule(uint64_t pc, uint64_t rule, uint64_t generation) noexcept {
    // tryLock: a miss never waits (and a fork child can never find this lock held forever).
    if (!gWriteLock.tryLock()) return;
    if (gGeneration.load(std::memory_order_acquire) == generation) {
        CacheEntry& entry = entryFor(pc);
        entry.pc.store(0, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        entry.rule.store(rule, std::memory_order_relaxed);
        entry.pc.store(pc, std::memory_order_release);
    }
    gWriteLock.unlock();
}

// ---- DWARF reading --------------------------------------------------------------------------

struct Reader {
    const uint8_t* p;
    const uint8_t* end;
    bool ok = true;

    uint8_t u8() noexcept {
        if (p >= end) return fail(), 0;
        return *p++;
    }
    template <typename T>
    T fixed() noexcept {
        if (end - p < static_cast<ptrdiff_t>(sizeof(T))) return fail(), T{};
        T value;
        std::memcpy(&value, p, sizeof(T));
        p += sizeof(T);
        return value;
    }
    uint64_t uleb() noexcept {
        uint64_t value = 0;
        for (unsigned shift = 0; ok; shift += 7) {
            uint8_t byte = u8();
            if (shift < 64) value |= uint64_t{byte & 0x7fu} << shift;
            if (!(byte & 0x80)) break;
        }
        return value;
    }
    int64_t sleb() noexcept {
        uint64_t value = 0;
        unsigned shift = 0;
        uint8_t byte = 0;
        do {
            byte = u8();
            if (shift < 64) value |= uint64_t{byte & 0x7fu} << shift;
            shift += 7;
        } while (ok && (byte & 0x80));
        if (shift < 64 && (byte & 0x40)) value |= ~uint64_t{0} << shift;
        return static_cast<int64_t>(value);
    }
    void skip(uint64_t bytes) noexcept {
        if (static_cast<uint64_t>(end - p) < bytes) return fail();
        p += bytes;
    }
    // A DW_EH_PE-encoded pointer; `data_base` is the .eh_frame_hdr address for datarel.
    uint64_t pointer(uint8_t encoding, uint64_t data_base = 0) noexcept {
        if (encoding == 0xff) return 0;  // DW_EH_PE_omit
        auto field = reinterpret_cast<uint64_t>(p);
        uint64_t value;
        switch (encoding & 0x0f) {
            case 0x00: value = fixed<uint64_t>(); break;
            case 0x01: value = uleb(); break;
            case 0x02: value = fixed<uint16_t>(); break;
            case 0x03: value = fixed<uint32_t>(); break;
            case 0x04: value = fixed<uint64_t>(); break;
            case 0x09: value = static_cast<uint64_t>(sleb()); break;
            case 0x0a: value = static_cast<uint64_t>(int64_t{fixed<int16_t>()}); break;
            case 0x0b: value = static_cast<uint64_t>(int64_t{fixed<int32_t>()}); break;
            case 0x0c: value = fixed<uint64_t>(); break;
            default: return fail(), 0;
        }
        switch (encoding & 0x70) {
            case 0x00: break;
            case 0x10: value += field; break;      // pcrel
            case 0x30: value += data_base; break;  // datarel
            default: return fail(), 0;             // textrel/funcrel/aligned: not written by ld for x86-64
        }
        if (encoding & 0x80) {  // indirect: only for personality pointers, which are skipped, not used
            if (!ok || value == 0) return fail(), 0;
            value = *reinterpret_cast<const uint64_t*>(value);
        }
        return value;
    }
    void fail() noexcept {
        ok = false;
        p = end;
    }
};

// DWARF register numbers of x86-64.
constexpr uint64_t kDwarfRbp = 6, kDwarfRsp = 7, kDwarfReturnAddress = 16;

struct RegisterRule {
    enum Kind : uint8_t { Unchanged, AtCfaOffset, Undefined, Other } kind = Unchanged;
    int64_t offset = 0;
};

struct FrameState {
    uint64_t cfa_register = kDwarfRsp;
    int64_t cfa_offset = 8;
    bool cfa_expression = false;
    RegisterRule rbp, return_address;
};

struct Cie {
    uint64_t code_align = 1;
    int64_t data_align = -8;
    uint8_t fde_encoding = 0;
    bool has_augmentation_data = false;
    const uint8_t* instructions = nullptr;
    const uint8_t* end = nullptr;
};

bool parseCie(const uint8_t* at, Cie* cie) noexcept {
    Reader r{at, at + 16};
    uint32_t length = r.fixed<uint32_t>();
    if (!r.ok || length == 0 || length == 0xffffffff) return false;
    r.end = at + 4 + length;
    if (r.fixed<uint32_t>() != 0) return false;  // CIE id
    uint8_t version = r.u8();
    const char* augmentation = reinterpret_cast<const char*>(r.p);
    size_t augmentation_length = strnlen(augmentation, static_cast<size_t>(r.end - r.p));
    r.skip(augmentation_length + 1);
    if (version >= 4) r.skip(2);  // address and segment selector sizes
    cie->code_align = r.uleb();
    cie->data_align = r.sleb();
    uint64_t return_register = version == 1 ? r.u8() : r.uleb();
    if (!r.ok || return_register != kDwarfReturnAddress) return false;
    if (augmentation[0] == 'z') {
        cie->has_augmentation_data = true;
        uint64_t data_length = r.uleb();
        Reader data{r.p, r.p + data_length};
        r.skip(data_length);
        for (size_t i = 1; i < augmentation_length && data.ok; ++i) {
            switch (augmentation[i]) {
                case 'R': cie->fde_encoding = data.u8(); break;
                case 'L': data.u8(); break;
                case 'P': data.pointer(static_cast<uint8_t>(data.u8() & 0x7f)); break;  // not dereferenced
                default: return false;  // 'S' (signal frame) and anything unknown: the full unwinder's job
            }
        }
        if (!data.ok) return false;
    } else if (augmentation_length != 0) {
        return false;
    }
    cie->instructions = r.p;
    cie->end = r.end;
    return r.ok;
}

// Runs a CFA program until the location passes `target`. Returns false on an opcode it cannot follow.
bool runProgram(Reader r, const Cie& cie, uint8_t fde_encoding, uint64_t location, uint64_t target,
                FrameState& state, const FrameState& initial) noexcept {
    constexpr int kRememberDepth = 8;
    FrameState remembered[kRememberDepth];
    int depth = 0;
    auto ruleOf = [&](uint64_t reg) -> RegisterRule* {
        if (reg == kDwarfRbp) return &state.rbp;
        if (reg == kDwarfReturnAddress) return &state.return_address;
        return nullptr;
    };
    auto setOffset = [&](uint64_t reg, int64_t offset) {
        if (RegisterRule* rule = ruleOf(reg)) *rule = {RegisterRule::AtCfaOffset, offset};
    };
    auto setKind = [&](uint64_t reg, RegisterRule::Kind kind) {
        if (RegisterRule* rule = ruleOf(reg)) *rule = {kind, 0};
    };
    auto restore = [&](uint64_t reg) {
        if (reg == kDwarfRbp) state.rbp = initial.rbp;
        if (reg == kDwarfReturnAddress) state.return_address = initial.return_address;
    };
    while (r.ok && r.p < r.end) {
        uint8_t opcode = r.u8();
        uint64_t advance = 0;
        switch (opcode >> 6) {
            case 1: advance = opcode & 0x3f; break;
            case 2: setOffset(opcode & 0x3f, static_cast<int64_t>(r.uleb()) * cie.data_align); continue;
            case 3: restore(opcode & 0x3f); continue;
            default: break;
        }
        if (opcode >> 6 == 0) {
            switch (opcode) {
                case 0x00: continue;  // nop
                case 0x01: {          // set_loc
                    uint64_t next = r.pointer(fde_encoding);
                    if (next > target) return r.ok;
                    location = next;
                    continue;
                }
                case 0x02: advance = r.u8(); break;
                case 0x03: advance = r.fixed<uint16_t>(); break;
                case 0x04: advance = r.fixed<uint32_t>(); break;
                case 0x05: {
                    uint64_t reg = r.uleb();
                    setOffset(reg, static_cast<int64_t>(r.uleb()) * cie.data_align);
                    continue;
                }
                case 0x06: restore(r.uleb()); continue;
                case 0x07: setKind(r.uleb(), RegisterRule::Undefined); continue;
                case 0x08: setKind(r.uleb(), RegisterRule::Unchanged); continue;
                case 0x09: {  // register: the value lives in another register
                    uint64_t reg = r.uleb();
                    r.uleb();
                    setKind(reg, RegisterRule::Other);
                    continue;
                }
                case 0x0a:
                    if (depth == kRememberDepth) return false;
                    remembered[depth++] = state;
                    continue;
                case 0x0b:
                    if (depth == 0) return false;
                    state = remembered[--depth];
                    continue;
                case 0x0c:
                    state.cfa_register = r.uleb();
                    state.cfa_offset = static_cast<int64_t>(r.uleb());
                    state.cfa_expression = false;
                    continue;
                case 0x0d:
                    state.cfa_register = r.uleb();
                    state.cfa_expression = false;
                    continue;
                case 0x0e: state.cfa_offset = static_cast<int64_t>(r.uleb()); continue;
                case 0x0f:  // def_cfa_expression
                    state.cfa_expression = true;
                    r.skip(r.uleb());
                    continue;
                case 0x10: {  // expression
                    uint64_t reg = r.uleb();
                    r.skip(r.uleb());
                    setKind(reg, RegisterRule::Other);
                    continue;
                }
                case 0x11: {
                    uint64_t reg = r.uleb();
                    setOffset(reg, r.sleb() * cie.data_align);
                    continue;
                }
                case 0x12:
                    state.cfa_register = r.uleb();
                    state.cfa_offset = r.sleb() * cie.data_align;
                    state.cfa_expression = false;
                    continue;
                case 0x13: state.cfa_offset = r.sleb() * cie.data_align; continue;
                case 0x14:
                case 0x15: {  // val_offset(_sf): a value, not a saved slot
                    uint64_t reg = r.uleb();
                    if (opcode == 0x14) r.uleb(); else r.sleb();
                    setKind(reg, RegisterRule::Other);
                    continue;
                }
                case 0x16: {  // val_expression
                    uint64_t reg = r.uleb();
                    r.skip(r.uleb());
                    setKind(reg, RegisterRule::Other);
                    continue;
                }
                case 0x2e: r.uleb(); continue;  // GNU_args_size: no effect on the CFA rule
                case 0x2f: {                    // GNU_negative_offset_extended
                    uint64_t reg = r.uleb();
                    setOffset(reg, -static_cast<int64_t>(r.uleb()) * cie.data_align);
                    continue;
                }
                default: return false;
            }
        }
        location += advance * cie.code_align;
        if (location > target) return r.ok;
    }
    return r.ok;
}

// The rule for `pc` from the FDE at `fde`, or kUnsupported.
uint64_t ruleFromFde(const uint8_t* fde, uint64_t pc) noexcept {
    Reader r{fde, fde + 8};
    uint32_t length = r.fixed<uint32_t>();
    if (!r.ok || length == 0 || length == 0xffffffff) return kUnsupported;
    r.end = fde + 4 + length;
    const uint8_t* cie_field = r.p;
    uint32_t cie_offset = r.fixed<uint32_t>();
    Cie cie;
    if (!r.ok || cie_offset == 0 || !parseCie(cie_field - cie_offset, &cie)) return kUnsupported;
    uint64_t begin = r.pointer(cie.fde_encoding);
    uint64_t range = r.pointer(cie.fde_encoding & 0x0f);
    if (!r.ok || pc < begin || pc - begin >= range) return kUnsupported;
    if (cie.has_augmentation_data) r.skip(r.uleb());
    if (!r.ok) return kUnsupported;

    FrameState state;
    FrameState none;
    if (!runProgram(Reader{cie.instructions, cie.end}, cie, cie.fde_encoding, begin, UINT64_MAX, state, none))
        return kUnsupported;
    FrameState initial = state;
    if (!runProgram(r, cie, cie.fde_encoding, begin, pc, state, initial)) return kUnsupported;

    if (state.return_address.kind == RegisterRule::Undefined) return kOutermost;
    if (state.cfa_expression || state.return_address.kind != RegisterRule::AtCfaOffset ||
        state.return_address.offset != -8)
        return kUnsupported;
    uint64_t kind;
    if (state.cfa_register == kDwarfRsp) kind = kCfaFromRsp;
    else if (state.cfa_register == kDwarfRbp) kind = kCfaFromRbp;
    else return kUnsupported;  // e.g. r10 around a stack realignment
    if (state.cfa_offset < INT32_MIN || state.cfa_offset > INT32_MAX) return kUnsupported;
    bool rbp_saved = false;
    if (state.rbp.kind == RegisterRule::AtCfaOffset) {
        if (state.rbp.offset < INT16_MIN || state.rbp.offset > INT16_MAX) return kUnsupported;
        rbp_saved = true;
    } else if (state.rbp.kind != RegisterRule::Unchanged) {
        return kUnsupported;
    }
    return packRule(kind, rbp_saved, static_cast<int16_t>(rbp_saved ? state.rbp.offset : 0),
                    static_cast<int32_t>(state.cfa_offset));
}

// Looks `pc` up in the .eh_frame_hdr search table at `header`.
uint64_t ruleFromHeader(const uint8_t* header, uint64_t pc) noexcept {
    if (header[0] != 1) return kUnsupported;
    uint8_t frame_pointer_encoding = header[1], count_encoding = header[2], table_encoding = header[3];
    // ld always writes the table as datarel sdata4 pairs; anything else is left to libunwind.
    if (table_encoding != 0x3b) return kUnsupported;
    auto base = reinterpret_cast<uint64_t>(header);
    Reader r{header + 4, header + 64};
    r.pointer(frame_pointer_encoding, base);
    uint64_t count = r.pointer(count_encoding, base);
    if (!r.ok || count == 0) return kUnsupported;
    struct Pair {
        int32_t location;
        int32_t fde;
    };
    const auto* table = reinterpret_cast<const Pair*>(r.p);
    size_t low = 0, high = count;  // the last entry with location <= pc
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (base + static_cast<int64_t>(table[middle].location) <= pc) low = middle;
        else high = middle;
    }
    if (base + static_cast<int64_t>(table[low].location) > pc) return kUnsupported;
    return ruleFromFde(reinterpret_cast<const uint8_t*>(base + static_cast<int64_t>(table[low].fde)), pc);
}

struct Lookup {
    uint64_t pc;
    uint64_t rule;
};

// dl_iterate_phdr callback: the whole parse runs here, under the loader's lock, so the module cannot
// be unmapped while its tables are read.
int findRule(struct dl_phdr_info* info, size_t, void* context) noexcept {
    auto* lookup = static_cast<Lookup*>(context);
    const ElfW(Phdr)* eh_frame_header = nullptr;
    bool inside = false;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& segment = info->dlpi_phdr[i];
        if (segment.p_type == PT_LOAD) {
            uint64_t start = info->dlpi_addr + segment.p_vaddr;
            if (lookup->pc >= start && lookup->pc < start + segment.p_memsz) inside = true;
        } else if (segment.p_type == PT_GNU_EH_FRAME) {
            eh_frame_header = &segment;
        }
    }
    if (!inside) return 0;
    if (eh_frame_header)
        lookup->rule = ruleFromHeader(reinterpret_cast<const uint8_t*>(info->dlpi_addr + eh_frame_header->p_vaddr),
                                      lookup->pc);
    return 1;
}

__attribute__((noinline)) uint64_t slowRule(uint64_t pc) noexcept {
    uint64_t generation = gGeneration.load(std::memory_order_acquire);
    Lookup lookup{pc, kUnsupported};
    dl_iterate_phdr(findRule, &lookup);
    storeRule(pc, lookup.rule, generation);  // unsupported pcs are cached too: they go to libunwind at once
    return lookup.rule;
}

inline uint64_t ruleFor(uint64_t pc) noexcept {
    uint64_t rule;
    if (__builtin_expect(cachedRule(pc, &rule), 1)) return rule;
    return slowRule(pc);
}

// The previous walk of this thread. A loop allocating from one site walks the same frames every time,
// so the memo makes that walk a row of compares:
//  - a walk is a deterministic function of its starting rsp (and rbp, when a rule reads rbp before any
//    frame restored it from the stack), the rules of its pcs and the stack words it reads (return
//    addresses, and the saved rbps that a later CFA is computed from). When the start matches and
//    every word read last time still holds the same value, this walk would read the same words and
//    yield the same frames, so it is not done: the caller reuses the stack id it derived last time.
//  - otherwise each level whose pc equals the previous walk's at that level takes its rule from the
//    memo instead of probing the cache.
constexpr int kMemoFrames = 64;

struct WalkMemo {
    uint64_t generation = 0;
    int count = -1;  // frames of the previous walk; -1: none, too deep, or it needed the full unwinder
    int capacity = 0;
    int words = 0;
    bool start_rbp_used = false;
    uint64_t start_sp = 0, start_rbp = 0;
    uint64_t pc[kMemoFrames] = {};  // the pc each level looked up (ra - 1 for callers)
    uint64_t rule[kMemoFrames] = {};
    uint64_t word_address[2 * kMemoFrames] = {};
    uint64_t word_value[2 * kMemoFrames] = {};
};

thread_local WalkMemo tMemo __attribute__((tls_model("initial-exec")));

}  // namespace

bool initialise() noexcept {
    if (gCache) return true;
    void* memory = mmap(nullptr, kCacheEntries * sizeof(CacheEntry), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return false;
    gCache = static_cast<CacheEntry*>(memory);
    return true;
}

inline uint64_t loadWord(uint64_t address) noexcept { return *reinterpret_cast<const uint64_t*>(address); }

// True when the stack still holds every word the memo's walk read (see WalkMemo).
inline bool memoStillHolds(const WalkMemo& memo, int capacity, uint64_t sp, uint64_t bp) noexcept {
    if (memo.count <= 0 || memo.capacity != capacity || memo.start_sp != sp) return false;
    if (memo.start_rbp_used && memo.start_rbp != bp) return false;
    // Four words per step, differences or'ed together: the common outcome is "all equal".
    int i = 0;
    for (; i + 4 <= memo.words; i += 4) {
        uint64_t differ = (loadWord(memo.word_address[i]) ^ memo.word_value[i]) |
                          (loadWord(memo.word_address[i + 1]) ^ memo.word_value[i + 1]) |
                          (loadWord(memo.word_address[i + 2]) ^ memo.word_value[i + 2]) |
                          (loadWord(memo.word_address[i + 3]) ^ memo.word_value[i + 3]);
        if (differ) return false;
    }
    for (; i < memo.words; ++i)
        if (loadWord(memo.word_address[i]) != memo.word_value[i]) return false;
    return true;
}

__attribute__((noinline)) int walk(uint64_t* frames, int capacity, bool* unchanged) noexcept {
    *unchanged = false;
    if (!gCache || capacity <= 0) return -1;
    WalkMemo& memo = tMemo;
    uint64_t generation = gGeneration.load(std::memory_order_acquire);
    if (memo.generation != generation) {  // a dlclose since this thread's last walk: its rules may be stale
        memo = WalkMemo{};
        memo.generation = generation;
    }
    uint64_t pc, sp, bp;
    // One asm statement, so the pc, rsp and rbp belong to the same instruction: the CFI for that pc
    // describes exactly this rsp.
    asm volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(pc), "=r"(sp), "=r"(bp));
    if (memoStillHolds(memo, capacity, sp, bp)) {
        *unchanged = true;  // frames[] is left alone: the caller reuses what it derived from them last time
        return memo.count;
    }
    int previous_count = memo.count;
    memo.count = -1;  // rebuilt below; invalid if this walk ends early
    memo.capacity = capacity;
    memo.start_sp = sp;
    memo.start_rbp = bp;
    memo.start_rbp_used = false;
    memo.words = 0;
    bool rbp_restored = false;
    uint64_t rbp_slot = 0;  // where the current bp was loaded from, until a CFA uses it
    auto remember = [&memo](uint64_t address, uint64_t value) {
        if (memo.words < 2 * kMemoFrames) {
            memo.word_address[memo.words] = address;
            memo.word_value[memo.words] = value;
        }
        ++memo.words;
    };
    uint64_t lookup_pc = pc;  // the first pc is exact; callers' are return addresses, looked up at ra - 1
    bool same = true;         // every pc so far equals the previous walk's at the same level
    int count = 0;
    for (;;) {
        frames[count] = pc;
        uint64_t rule;
        if (count < kMemoFrames) {
            if (memo.pc[count] == lookup_pc) {
                rule = memo.rule[count];
            } else {
                same = false;
                rule = ruleFor(lookup_pc);
                memo.pc[count] = lookup_pc;
                memo.rule[count] = rule;
            }
        } else {
            same = false;
            rule = ruleFor(lookup_pc);
        }
        ++count;
        if (count == capacity) break;
        uint64_t kind = kindOf(rule);
        if (kind == kOutermost) break;
        if (kind == kUnsupported) return -1;
        if (kind == kCfaFromRbp) {
            // bp decides this CFA: the word it came from is part of what the walk depends on.
            if (!rbp_restored) memo.start_rbp_used = true;
            else if (rbp_slot != 0) remember(rbp_slot, bp);
            rbp_slot = 0;
        }
        uint64_t cfa = (kind == kCfaFromRsp ? sp : bp) + static_cast<uint64_t>(cfaOffsetOf(rule));
        // The stack grows down: a CFA that does not move up is a broken chain, not a frame.
        if (cfa <= sp || (cfa & 7) != 0) return -1;
        uint64_t return_address = loadWord(cfa - 8);
        remember(cfa - 8, return_address);
        if (rule & kRbpSaved) {
            // Only remembered if a later CFA reads it: in code without frame pointers rbp is an
            // ordinary register whose saved value changes all the time and decides nothing here.
            rbp_slot = cfa + static_cast<uint64_t>(rbpOffsetOf(rule));
            bp = loadWord(rbp_slot);
            rbp_restored = true;
        }
        if (return_address == 0) break;  // some runtimes end the chain with a null return address
        sp = cfa;
        pc = return_address;
        lookup_pc = return_address - 1;
    }
    // Same pcs at every level and the same length: the very stack of this thread's previous walk.
    *unchanged = same && count == previous_count;  // frames[] written all the same
    if (count <= kMemoFrames && memo.words <= 2 * kMemoFrames) memo.count = count;
    return count;
}

void forgetUnloadedCode() noexcept {
    if (!gCache) return;
    gGeneration.fetch_add(1, std::memory_order_acq_rel);
    SpinLockHolder hold(gWriteLock);
    for (size_t i = 0; i < kCacheEntries; ++i)
        if (gCache[i].pc.load(std::memory_order_relaxed) != 0) gCache[i].pc.store(0, std::memory_order_relaxed);
}

void lockForFork() noexcept { gWriteLock.lock(); }
void unlockAfterFork() noexcept { gWriteLock.unlock(); }

}  // namespace leakscope::preload::cfi_walker
