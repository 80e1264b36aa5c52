#pragma once
// What `tlab serve` is told: where to listen, how to batch, and the limits that keep bad or hostile
// input from hurting the server. Each field is one flag of `tlab serve` (apps/tlab/serve.cpp).
#include <cstdint>
#include <string>

namespace tlab::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";  // --host: the address to bind; loopback unless told otherwise
  int port = 8080;                 // --port: 0 picks a free port (Server::port() says which)
  std::string name;                // --name: the model's name in the /v2 routes; empty: the
                                   // architecture ("mobilenet_v2"), or the TorchScript file's bundle
                                   // directory name (see default_model_name)
  int max_batch_size = 8;          // --max-batch-size: images per forward pass at most
  int max_batch_delay_ms = 5;      // --max-batch-delay-ms: how long the worker waits for more images
                                   // after the first one of a batch arrived
  int max_queue = 64;              // --max-queue: images waiting at most; a request that does not fit
                                   // is answered 503 with Retry-After: 1
  int timeout_ms = 10000;          // --timeout-ms: per-request deadline from the end of its upload;
                                   // past it the answer is 504 and queued images are dropped, not computed
  int threads = 0;                 // --threads: LibTorch intra-op threads of the inference worker
                                   // (0: one per core)
  int http_threads = 8;            // --http-threads: connections served at once (cpp-httplib's pool);
                                   // they decode and preprocess, then wait on the worker
  double max_body_mb = 16;         // --max-body-mb: request bodies over this (after un-chunking and
                                   // decompression) are answered 413
  int64_t max_pixels = 40000000;   // --max-pixels: an image whose header declares more pixels is
                                   // answered 413 before any pixel is decoded
  int default_topk = 5;            // --topk: classes per image when the request has no ?topk=K
  int keep_alive_requests = 100;   // --keep-alive-requests: requests per connection before it closes
  bool warmup = true;              // one forward pass before the server reports ready (first-call
                                   // allocations and oneDNN kernel selection happen then, not in a request)
};

// Throws UsageError naming the flag of the first field out of range.
void validate(const ServeOptions& options);

// max_body_mb in bytes.
int64_t max_body_bytes(const ServeOptions& options);

}  // namespace tlab::serve
