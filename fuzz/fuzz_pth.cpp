// libFuzzer target: the whole torch.save reader (zip and legacy containers, then the unpickler and
// the state-dict extraction) on arbitrary bytes. Seed it with small real torch.save files
// (fuzz/make_seeds.py). Only std::runtime_error is an accepted outcome for bad input.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tlab/weights/pth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    auto root = tlab::weights::read_torch_bytes(bytes, "fuzz");
    tlab::weights::state_dict_from(root, "fuzz");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
