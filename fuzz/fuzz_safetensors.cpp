// libFuzzer target: the safetensors parser on arbitrary bytes. Only std::runtime_error is an
// accepted outcome for bad input.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tlab/weights/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    tlab::weights::parse_safetensors(bytes, "fuzz");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
