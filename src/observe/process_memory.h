#pragma once

namespace streamrelay::observe {

// Hands the whole free pages inside the allocator's heaps back to the system (glibc keeps freed
// heap memory in the process, and objects of different lifetimes that share its arenas leave
// holes only a trim gives back). A no-op where the C library has no such call.
void return_freed_memory_to_system();

}  // namespace streamrelay::observe
