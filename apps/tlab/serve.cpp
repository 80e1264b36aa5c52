// tlab serve: an HTTP server for one model (a checkpoint, a zoo model with weights, or an export
// bundle) through the library's inference path: /v1/predict, the KServe v2 routes, /metrics and a
// web page at /. SIGTERM or SIGINT drains it: not ready, no new connections, what is queued and in
// flight is answered, exit 0.
#include <pthread.h>
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "commands.h"
#include "model_flags.h"
#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/serve/bundle.h"
#include "tlab/serve/server.h"

namespace tlab::app {
namespace {

struct ServeArgs {
  infer::ModelSource source;
  std::string bundle;
  std::string device = "auto";
  serve::ServeOptions options;
};

// --bundle DIR is a TorchScript file with its preprocess.json and classes.txt beside it.
infer::ModelSource model_source(ServeArgs& a) {
  if (a.bundle.empty()) {
    TLAB_CHECK(a.source.checkpoint.empty() != a.source.model.empty(),
               "tlab serve: give one of --checkpoint FILE, --model NAME --weights FILE, or --bundle DIR");
    return resolved_source(a.source);
  }
  TLAB_CHECK(a.source.checkpoint.empty() && a.source.model.empty(),
             "tlab serve: --bundle DIR names the model already; drop --checkpoint / --model");
  infer::ModelSource s = a.source;
  s.model = "torchscript:" + serve::bundle_model_file(a.bundle);
  return s;
}

// Waits for SIGINT or SIGTERM (blocked in every thread, taken here synchronously: no handler runs
// in signal context) while printing "serving ..." once the model is ready. Rethrows a load error.
int wait_for_signal(serve::Server& server, const sigset_t& signals, const std::string& url) {
  bool announced = false;
  const timespec tick{0, 100 * 1000 * 1000};
  for (;;) {
    siginfo_t info;
    const int sig = sigtimedwait(&signals, &info, &tick);
    if (sig == SIGINT || sig == SIGTERM) return sig;
    if (!announced && server.wait_ready(std::chrono::milliseconds(0))) {  // rethrows a load failure
      std::printf("serving %s on %s\n", server.model_name().c_str(), url.c_str());
      std::fflush(stdout);
      announced = true;
    }
  }
}

// One malloc arena per core instead of glibc's eight: with a thread per connection each arena keeps
// what its threads' photos and tensors grew it to, and the idle-time trim (serve/memory.h) cannot
// give back what sits in many half-used arenas. bench/serve.sh's load, RSS after 1,000 .. 7,000
// requests: 289 -> 326 MB with glibc's default, 232 -> 237 MB with this.
void one_malloc_arena_per_core() {
#ifdef __GLIBC__
  mallopt(M_ARENA_MAX, int(std::max(1u, std::thread::hardware_concurrency())));
#endif
}

int run_serve(ServeArgs a) {
  serve::validate(a.options);
  one_malloc_arena_per_core();  // before any thread starts
  const infer::ModelSource source = model_source(a);
  const torch::Device device = resolve_device(a.device);
  // Blocked before any thread starts, so every thread inherits the mask and only sigtimedwait
  // below ever takes these signals. A client gone mid-response must not kill the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::Server server(a.options, [source, device] { return infer::load(source, device); });
  server.start();
  const std::string url = "http://" + a.options.host + ":" + std::to_string(server.port());
  std::printf("listening on %s (loading the model)\n", url.c_str());
  std::fflush(stdout);
  const int sig = wait_for_signal(server, signals, url);
  std::printf("%s: draining (finishing queued and in-flight requests)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server.drain();
  std::printf("stopped\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace

Command add_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto& o = a->options;
  auto* c = app.add_subcommand("serve", "serve a model over HTTP: /v1/predict, KServe v2 routes, /metrics, a web page");
  add_model_source_flags(c, a->source, "zoo architecture (with --weights), or torchscript:FILE");
  c->add_option("--bundle", a->bundle, "a directory written by tlab export --format torchscript");
  c->add_option("--name", o.name, "the model's name in /v2/models/NAME (default: the architecture or bundle name)");
  c->add_option("--host", o.host, "address to listen on")->capture_default_str();
  c->add_option("--port", o.port, "port (0: any free port)")->capture_default_str();
  c->add_option("--max-batch-size", o.max_batch_size, "images per forward pass at most")->capture_default_str();
  c->add_option("--max-batch-delay-ms", o.max_batch_delay_ms, "wait for a fuller batch")->capture_default_str();
  c->add_option("--max-queue", o.max_queue, "images queued at most (503 past it)")->capture_default_str();
  c->add_option("--timeout-ms", o.timeout_ms, "per-request deadline (504 past it)")->capture_default_str();
  c->add_option("--threads", o.threads, "LibTorch threads of the inference worker (0: one per core)")->capture_default_str();
  c->add_option("--http-threads", o.http_threads, "connections served at once")->capture_default_str();
  c->add_option("--max-body-mb", o.max_body_mb, "request body limit (413 past it)")->capture_default_str();
  c->add_option("--max-pixels", o.max_pixels, "image size limit from its header (413 past it)")->capture_default_str();
  c->add_option("--topk", o.default_topk, "classes per image without ?topk=K")->capture_default_str();
  c->add_option("--keep-alive-requests", o.keep_alive_requests, "requests per connection")->capture_default_str();
  c->add_option("--device", a->device, "auto | cpu | cuda[:N]")->capture_default_str();
  return {c, [a] { return run_serve(*a); }};
}

}  // namespace tlab::app
