#include "support/heap.h"

#include <malloc.h>

namespace claudegpt {

void keep_freed_memory() {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // Setting the trim threshold fixes the mmap threshold too (at 128 KB, which the parse arena
  // of a 49 KB body passes): raise it so those blocks are reused, not mapped and unmapped.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

void release_freed_memory() { malloc_trim(0); }

}  // namespace claudegpt
