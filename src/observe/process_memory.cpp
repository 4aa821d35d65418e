#include "observe/process_memory.h"

#include <malloc.h>

namespace streamrelay::observe {

void return_freed_memory_to_system() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace streamrelay::observe
