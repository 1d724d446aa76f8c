// The allocator's hold on freed memory. A 49 KB Claude Code turn allocates and frees a few
// hundred KB (the parsed request, the translated body, their text). glibc hands freed memory
// at the top of the heap back to the kernel after every such turn, so the next one pays for
// fresh pages (faults, zeroing, TLB shootdowns across threads): about 0.1 ms of the ~0.5 ms
// the proxy adds to a turn (`bench/run --phases latency --concurrency 1 --sizes 49k` with and
// without keep_freed_memory). The proxy keeps it instead while requests come and go, and
// gives it all back once none has begun or ended for a few seconds.
#pragma once

namespace claudegpt {

// Once, before serving: freed memory stays with the process (up to 64 MB at the top of a
// heap; blocks under 4 MB come from the heap, not from fresh mappings).
void keep_freed_memory();

// Returns the free pages of every heap to the kernel (malloc_trim). A few ms for a heap that
// held a thousand streams: call it when requests have stopped coming.
void release_freed_memory();

}  // namespace claudegpt
