#pragma once
// Handing freed memory back to the system when the server goes idle. Why: glibc raises its mmap
// threshold each time a large block is freed, so the per-request buffers (the encoded body, the
// decoded photo, the input tensor: 0.1-3 MB) and LibTorch's activations come from the heaps of the
// threads that ran them, and a heap keeps the pages it grew to: under bench/serve.sh's load the
// resident set grew 365 -> 441 MB (+21%) from request 500 to 5,000. Releasing the free pages when
// the queue has been empty for a moment (DynamicBatcher's on_idle) keeps the large blocks in the
// heaps while requests come; a fixed mmap threshold would map and unmap every activation (3x fewer
// requests/s, measured).
namespace tlab::serve {

// glibc's malloc_trim(0): every arena's free pages back to the system; nothing elsewhere.
void release_free_memory();

}  // namespace tlab::serve
