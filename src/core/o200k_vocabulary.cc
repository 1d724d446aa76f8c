// The embedded o200k_base vocabulary (parsed in o200k_ranks.cc).
#include "core/o200k_vocabulary.h"

#ifndef CLAUDEGPT_VOCAB_JSON
#error "CLAUDEGPT_VOCAB_JSON must name tiktoken's o200k_base.json (see src/CMakeLists.txt)"
#endif

// .incbin copies the file into read-only data at assembly time: no generated sources, no
// 2 MB array literal for the compiler to chew on. Hidden symbols keep it out of the dynamic
// symbol table and let the compiler address it PC-relative.
asm(".pushsection .rodata.claudegpt_o200k_base, \"a\", @progbits\n"
    ".balign 16\n"
    ".globl claudegpt_o200k_base_begin\n"
    ".hidden claudegpt_o200k_base_begin\n"
    "claudegpt_o200k_base_begin:\n"
    ".incbin \"" CLAUDEGPT_VOCAB_JSON "\"\n"
    ".globl claudegpt_o200k_base_end\n"
    ".hidden claudegpt_o200k_base_end\n"
    "claudegpt_o200k_base_end:\n"
    ".popsection\n");

extern "C" {
__attribute__((visibility("hidden"))) extern const char claudegpt_o200k_base_begin[];
__attribute__((visibility("hidden"))) extern const char claudegpt_o200k_base_end[];
}

namespace claudegpt {

std::string_view o200k_base_json() {
  return {claudegpt_o200k_base_begin,
          static_cast<std::size_t>(claudegpt_o200k_base_end - claudegpt_o200k_base_begin)};
}

}  // namespace claudegpt
