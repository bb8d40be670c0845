// The .eh_frame parser on byte arrays: CIE/FDE headers, augmentations, the CFA rules it supports, the
// ones it must refuse, malformed input, and the .eh_frame_hdr binary search. The records are built
// here byte by byte after the LSB "The .eh_frame section" and DWARF 5 section 6.4 layouts, so each test
// states exactly the table it feeds the parser.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "unwind/CfiRule.h"
#include "unwind/EhFrameParser.h"

using namespace leakscope::preload::cfi_walker;

namespace {

// DWARF CFA opcodes used below (DWARF 5 table 7.29).
constexpr uint8_t kAdvanceLoc = 0x40;  // | delta
constexpr uint8_t kOffset = 0x80;      // | register, then ULEB factored offset
constexpr uint8_t kRememberState = 0x0a, kRestoreState = 0x0b, kDefCfa = 0x0c, kDefCfaRegister = 0x0d,
                  kDefCfaOffset = 0x0e, kDefCfaExpression = 0x0f, kUndefined = 0x07;
constexpr uint8_t kRbp = 6, kRsp = 7, kReturnAddress = 16;

// Namespace-scope defaults: GCC 12 warns (-Wmaybe-uninitialized, a false positive) on braced vectors
// as default member initialisers.
const std::vector<uint8_t> kAbsptrAugmentation = {0x00};  // R: FDE pointers are absptr (udata8)
const std::vector<uint8_t> kEntryRule = {kDefCfa, kRsp, 8, kOffset | kReturnAddress, 1};  // CFA=rsp+8, RA at CFA-8

struct CieSpec {
    uint8_t version = 1;
    const char* augmentation = "zR";
    uint8_t return_register = kReturnAddress;
    std::vector<uint8_t> augmentation_data = kAbsptrAugmentation;
    std::vector<uint8_t> instructions = kEntryRule;
};

// One .eh_frame image: a CIE at offset 0, then FDEs. Kept in a vector that is never resized once an
// FDE's address is taken (reserve), so absolute addresses inside it stay valid.
class EhFrame {
public:
    EhFrame() { bytes_.reserve(4096); }

    void cie(const CieSpec& spec) {
        std::vector<uint8_t> body = {0, 0, 0, 0, spec.version};  // CIE id 0, version
        for (const char* a = spec.augmentation; *a; ++a) body.push_back(uint8_t(*a));
        body.push_back(0);
        if (spec.version >= 4) body.insert(body.end(), {8, 0});  // address size, segment selector size
        body.push_back(1);                                       // code alignment 1
        body.push_back(0x78);                                    // data alignment -8 (SLEB)
        body.push_back(spec.return_register);
        if (spec.augmentation[0] == 'z') {
            body.push_back(uint8_t(spec.augmentation_data.size()));
            body.insert(body.end(), spec.augmentation_data.begin(), spec.augmentation_data.end());
        }
        body.insert(body.end(), spec.instructions.begin(), spec.instructions.end());
        record(body);
    }

    // An FDE for [begin, begin + range) with the CIE at offset 0; returns its offset. `augmentation`:
    // the FDE's augmentation data (present when the CIE's augmentation starts with 'z').
    size_t fde(uint64_t begin, uint64_t range, std::vector<uint8_t> instructions, std::vector<uint8_t> augmentation = {},
               bool with_augmentation_length = true) {
        size_t at = bytes_.size();
        std::vector<uint8_t> body(4);
        uint32_t cie_pointer = uint32_t(at + 4);  // distance from this field back to the CIE at offset 0
        std::memcpy(body.data(), &cie_pointer, 4);
        append(body, begin);
        append(body, range);
        if (with_augmentation_length) {
            body.push_back(uint8_t(augmentation.size()));
            body.insert(body.end(), augmentation.begin(), augmentation.end());
        }
        body.insert(body.end(), instructions.begin(), instructions.end());
        record(body);
        return at;
    }

    uint64_t rule(size_t fde_offset, uint64_t pc) const { return ruleFromFde(bytes_.data() + fde_offset, pc); }
    const uint8_t* data() const { return bytes_.data(); }
    std::vector<uint8_t>& bytes() { return bytes_; }

private:
    static void append(std::vector<uint8_t>& out, uint64_t value) {
        uint8_t raw[8];
        std::memcpy(raw, &value, 8);
        out.insert(out.end(), raw, raw + 8);
    }
    void record(const std::vector<uint8_t>& body) {
        uint32_t length = uint32_t(body.size());
        uint8_t raw[4];
        std::memcpy(raw, &length, 4);
        bytes_.insert(bytes_.end(), raw, raw + 4);
        bytes_.insert(bytes_.end(), body.begin(), body.end());
    }
    std::vector<uint8_t> bytes_;
};

// A typical `push rbp; mov rbp, rsp; ...` prologue and an epilogue that remembers and restores state:
//   0x1000: CFA = rsp+8          (entry)
//   0x1001: CFA = rsp+16, rbp at CFA-16
//   0x1004: CFA = rbp+16         (frame set up)
//   0x1050: remember; CFA = rsp+8 (after `leave`) ; 0x1051: restore (the code after the ret)
const std::vector<uint8_t> kPrologue = {
    kAdvanceLoc | 1, kDefCfaOffset, 16, kOffset | kRbp, 2,
    kAdvanceLoc | 3, kDefCfaRegister, kRbp,
    0x02, 0x4c,  // advance_loc1 0x4c -> 0x1050
    kRememberState, kDefCfa, kRsp, 8,
    kAdvanceLoc | 1, kRestoreState};

}  // namespace

TEST_CASE("a prologue's CFA rules, pc by pc", "[unit][eh_frame]") {
    EhFrame frame;
    frame.cie({});
    size_t fde = frame.fde(0x1000, 0x100, kPrologue);

    CHECK(frame.rule(fde, 0x1000) == packRule(kCfaFromRsp, false, 0, 8));
    CHECK(frame.rule(fde, 0x1001) == packRule(kCfaFromRsp, true, -16, 16));
    CHECK(frame.rule(fde, 0x1003) == packRule(kCfaFromRsp, true, -16, 16));
    CHECK(frame.rule(fde, 0x1004) == packRule(kCfaFromRbp, true, -16, 16));
    CHECK(frame.rule(fde, 0x104f) == packRule(kCfaFromRbp, true, -16, 16));
    CHECK(frame.rule(fde, 0x1050) == packRule(kCfaFromRsp, true, -16, 8));   // remembered, then CFA moved
    CHECK(frame.rule(fde, 0x1051) == packRule(kCfaFromRbp, true, -16, 16));  // restore_state
    CHECK(frame.rule(fde, 0x10ff) == packRule(kCfaFromRbp, true, -16, 16));
    // Outside the FDE's range: not this FDE's pc.
    CHECK(frame.rule(fde, 0x0fff) == kUnsupported);
    CHECK(frame.rule(fde, 0x1100) == kUnsupported);
}

TEST_CASE("CIE versions 1, 3 and 4 and the augmentations ld and gcc write", "[unit][eh_frame]") {
    for (uint8_t version : {uint8_t{1}, uint8_t{3}, uint8_t{4}}) {
        EhFrame frame;
        CieSpec spec;
        spec.version = version;  // v3+ writes the return register as ULEB (16 fits in one byte either way)
        frame.cie(spec);
        size_t fde = frame.fde(0x2000, 0x10, {});
        CHECK(frame.rule(fde, 0x2008) == packRule(kCfaFromRsp, false, 0, 8));
    }
    SECTION("zPLR: a personality (not dereferenced) and an LSDA pointer in the FDE") {
        EhFrame frame;
        CieSpec spec;
        spec.augmentation = "zPLR";
        spec.augmentation_data = {0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x00};  // P absptr + value, L absptr, R absptr
        frame.cie(spec);
        size_t fde = frame.fde(0x3000, 0x20, {kAdvanceLoc | 1, kDefCfaOffset, 16}, {0, 0, 0, 0, 0, 0, 0, 0});
        CHECK(frame.rule(fde, 0x3000) == packRule(kCfaFromRsp, false, 0, 8));
        CHECK(frame.rule(fde, 0x3001) == packRule(kCfaFromRsp, false, 0, 16));
    }
    SECTION("no augmentation at all: FDE pointers are absptr and there is no augmentation length") {
        EhFrame frame;
        CieSpec spec;
        spec.augmentation = "";
        spec.augmentation_data = {};
        frame.cie(spec);
        size_t fde = frame.fde(0x4000, 0x10, {kAdvanceLoc | 2, kDefCfaOffset, 24}, {}, false);
        CHECK(frame.rule(fde, 0x4002) == packRule(kCfaFromRsp, false, 0, 24));
    }
}

TEST_CASE("rules the walker cannot apply are refused, never approximated", "[unit][eh_frame]") {
    // A signal frame (augmentation S) is the full unwinder's; an unknown letter is nobody's guess.
    for (const char* augmentation : {"zRS", "zRX"}) {
        EhFrame frame;
        CieSpec spec;
        spec.augmentation = augmentation;
        frame.cie(spec);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {}), 0x1000) == kUnsupported);
    }
    SECTION("a CFA expression, as in PLT stubs") {
        EhFrame frame;
        frame.cie({});
        size_t fde = frame.fde(0x1000, 0x10, {kAdvanceLoc | 4, kDefCfaExpression, 2, 0x77, 0x08});
        CHECK(frame.rule(fde, 0x1003) == packRule(kCfaFromRsp, false, 0, 8));
        CHECK(frame.rule(fde, 0x1004) == kUnsupported);
    }
    SECTION("a CFA in another register (stack realignment through r10)") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kDefCfa, 10, 0}), 0x1000) == kUnsupported);
    }
    SECTION("a return address saved elsewhere than CFA-8") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kOffset | kReturnAddress, 2}), 0x1000) == kUnsupported);
    }
    SECTION("a return register other than 16") {
        EhFrame frame;
        CieSpec spec;
        spec.return_register = 15;
        frame.cie(spec);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {}), 0x1000) == kUnsupported);
    }
    SECTION("an undefined return address is the outermost frame") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kUndefined, kReturnAddress}), 0x1000) == kOutermost);
    }
}

TEST_CASE("malformed tables give kUnsupported, not a crash or a guess", "[unit][eh_frame]") {
    SECTION("an operand cut off by the record's end") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kDefCfa, kRsp}), 0x1000) == kUnsupported);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kDefCfaOffset, 0x80}), 0x1000) == kUnsupported);  // ULEB never ends
    }
    SECTION("an opcode DWARF does not define") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {0x3f}), 0x1000) == kUnsupported);
    }
    SECTION("restore_state with nothing remembered, and remember_state nested too deep") {
        EhFrame frame;
        frame.cie({});
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {kRestoreState}), 0x1000) == kUnsupported);
        std::vector<uint8_t> deep(9, kRememberState);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, deep), 0x1000) == kUnsupported);
        std::vector<uint8_t> eight(8, kRememberState);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, eight), 0x1000) == packRule(kCfaFromRsp, false, 0, 8));
    }
    SECTION("a zero-length or 64-bit-length FDE, and an FDE whose CIE pointer is 0") {
        EhFrame frame;
        frame.cie({});
        size_t fde = frame.fde(0x1000, 0x10, {});
        std::vector<uint8_t>& bytes = frame.bytes();
        uint32_t saved;
        std::memcpy(&saved, bytes.data() + fde, 4);
        for (uint32_t length : {0u, 0xffffffffu}) {
            std::memcpy(bytes.data() + fde, &length, 4);
            CHECK(frame.rule(fde, 0x1000) == kUnsupported);
        }
        std::memcpy(bytes.data() + fde, &saved, 4);
        uint32_t zero = 0;
        std::memcpy(bytes.data() + fde + 4, &zero, 4);
        CHECK(frame.rule(fde, 0x1000) == kUnsupported);
    }
    SECTION("a CIE whose id is not 0 (the FDE points at another FDE)") {
        EhFrame frame;
        frame.cie({});
        uint32_t not_cie = 7;
        std::memcpy(frame.bytes().data() + 4, &not_cie, 4);
        CHECK(frame.rule(frame.fde(0x1000, 0x10, {}), 0x1000) == kUnsupported);
    }
}

TEST_CASE(".eh_frame_hdr: the binary search finds the FDE covering the pc", "[unit][eh_frame]") {
    // The header and the .eh_frame live in one buffer; the table's locations are datarel sdata4
    // (relative to the header), so the "functions" are placed at addresses near the buffer.
    std::vector<uint8_t> buffer(8192);
    uint8_t* header = buffer.data();
    const auto base = reinterpret_cast<uint64_t>(header);
    EhFrame frame;
    frame.cie({});
    const uint64_t functions[] = {base + 0x100, base + 0x200, base + 0x400};
    size_t fdes[3];
    fdes[0] = frame.fde(functions[0], 0x80, {});
    fdes[1] = frame.fde(functions[1], 0x100, {kAdvanceLoc | 1, kDefCfaOffset, 16});
    fdes[2] = frame.fde(functions[2], 0x10, {kDefCfaOffset, 32});
    const size_t eh_frame_at = 1024;
    std::memcpy(buffer.data() + eh_frame_at, frame.data(), frame.bytes().size());

    // version 1, eh_frame_ptr pcrel|sdata4, fde_count udata4, table datarel|sdata4
    uint8_t* p = header;
    *p++ = 1, *p++ = 0x1b, *p++ = 0x03, *p++ = 0x3b;
    int32_t eh_frame_ptr = int32_t(eh_frame_at - 4);
    std::memcpy(p, &eh_frame_ptr, 4), p += 4;
    uint32_t count = 3;
    std::memcpy(p, &count, 4), p += 4;
    for (int i = 0; i < 3; ++i) {
        int32_t pair[2] = {int32_t(functions[i] - base), int32_t(eh_frame_at + fdes[i])};
        std::memcpy(p, pair, 8), p += 8;
    }

    CHECK(ruleFromEhFrameHeader(header, functions[0] + 0x10) == packRule(kCfaFromRsp, false, 0, 8));
    CHECK(ruleFromEhFrameHeader(header, functions[1] + 0x10) == packRule(kCfaFromRsp, false, 0, 16));
    CHECK(ruleFromEhFrameHeader(header, functions[2]) == packRule(kCfaFromRsp, false, 0, 32));
    // Before the first function, and in the gap after the first one's range.
    CHECK(ruleFromEhFrameHeader(header, base + 0x10) == kUnsupported);
    CHECK(ruleFromEhFrameHeader(header, functions[0] + 0x90) == kUnsupported);
    // A table encoding ld does not write, and a header version other than 1.
    header[3] = 0x03;
    CHECK(ruleFromEhFrameHeader(header, functions[0]) == kUnsupported);
    header[3] = 0x3b;
    header[0] = 2;
    CHECK(ruleFromEhFrameHeader(header, functions[0]) == kUnsupported);
}
