// .eh_frame_hdr lookup, CIE/FDE parsing and the CFA program (see EhFrameParser.h). Deliberately
// small: whatever falls outside what CfiRule.h can express is reported as kUnsupported.
#include "unwind/EhFrameParser.h"

#include <cstddef>
#include <cstring>
#include <link.h>

#include "unwind/CfiRule.h"

namespace leakscope::preload::cfi_walker {
namespace {


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

}  // namespace

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
uint64_t ruleFromEhFrameHeader(const uint8_t* header, uint64_t pc) noexcept {
    if (header[0] != 1) return kUnsupported;
    uint8_t frame_pointer_encoding = header[1], count_encoding = header[2], table_encoding = header[3];
    // ld always writes the table as datarel sdata4 pairs; anything else is left to the full unwinder.
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

namespace {

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
        lookup->rule = ruleFromEhFrameHeader(reinterpret_cast<const uint8_t*>(info->dlpi_addr + eh_frame_header->p_vaddr),
                                      lookup->pc);
    return 1;
}

}  // namespace

uint64_t ruleFromLoadedModules(uint64_t pc) noexcept {
    Lookup lookup{pc, kUnsupported};
    dl_iterate_phdr(findRule, &lookup);
    return lookup.rule;
}

}  // namespace leakscope::preload::cfi_walker
