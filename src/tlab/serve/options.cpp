#include "tlab/serve/options.h"

#include "tlab/core/error.h"

namespace tlab::serve {

void validate(const ServeOptions& o) {
  TLAB_CHECK(!o.host.empty(), "--host: expected an address to listen on, got an empty string");
  TLAB_CHECK(o.port >= 0 && o.port <= 65535, "--port: expected 0 (any free port) to 65535, got ", o.port);
  TLAB_CHECK(o.max_batch_size >= 1, "--max-batch-size: expected at least 1, got ", o.max_batch_size);
  TLAB_CHECK(o.max_batch_delay_ms >= 0, "--max-batch-delay-ms: expected 0 or more, got ", o.max_batch_delay_ms);
  TLAB_CHECK(o.max_queue >= 1, "--max-queue: expected at least 1 image, got ", o.max_queue);
  TLAB_CHECK(o.timeout_ms >= 1, "--timeout-ms: expected at least 1, got ", o.timeout_ms);
  TLAB_CHECK(o.threads >= 0, "--threads: expected a count >= 0 (0 = one per core), got ", o.threads);
  TLAB_CHECK(o.http_threads >= 1, "--http-threads: expected at least 1, got ", o.http_threads);
  TLAB_CHECK(o.max_body_mb > 0 && o.max_body_mb <= 4096, "--max-body-mb: expected more than 0 and at most 4096, got ",
             o.max_body_mb);
  TLAB_CHECK(o.max_pixels >= 1, "--max-pixels: expected at least 1, got ", o.max_pixels);
  TLAB_CHECK(o.default_topk >= 1, "--topk: expected at least 1, got ", o.default_topk);
  TLAB_CHECK(o.keep_alive_requests >= 1, "--keep-alive-requests: expected at least 1, got ", o.keep_alive_requests);
}

int64_t max_body_bytes(const ServeOptions& o) { return int64_t(o.max_body_mb * 1024 * 1024); }

}  // namespace tlab::serve
