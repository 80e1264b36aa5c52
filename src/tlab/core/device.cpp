#include "tlab/core/device.h"

#include <dlfcn.h>

#include <thread>

#include "tlab/core/error.h"

namespace tlab {

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    TLAB_CHECK(torch::cuda::is_available(), "--device ", name,
               ": this LibTorch build or machine has no CUDA device; use --device cpu or auto");
    return torch::Device(name);
  }
  throw UsageError(str_cat("--device: expected auto, cpu, cuda or cuda:N, got '", name, "'"));
}

namespace {
// Debian's LibTorch calls OpenBLAS (pthread build) for matrix products while its own OpenMP pool
// runs the rest; both pools busy-waiting on two cores cost ~20% of a training step (measured in
// docs/BENCHMARKS.md). OpenBLAS is looked up at run time, so other BLAS builds are left alone.
void limit_openblas_threads() {
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(1);
}
}  // namespace

void set_threads(int threads) {
  TLAB_CHECK(threads >= 0, "--threads: expected a count >= 0 (0 = one per core), got ", threads);
  // LibTorch's own default can be 1 on some machines (it counts physical cores per socket); use every core.
  limit_openblas_threads();
  torch::set_num_threads(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace tlab
