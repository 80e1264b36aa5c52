#include "tlab/serve/memory.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tlab::serve {

void release_free_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace tlab::serve
