// libFuzzer target: the image header reader (tlab::data::read_image_header) on arbitrary bytes. It
// never throws; the input is copied into a block of exactly its size, so AddressSanitizer catches
// a read even one byte past the end, and a header with a negative size is reported as a crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tlab/data/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  const auto header = tlab::data::read_image_header(bytes.data(), bytes.size());
  if (header && (header->width < 0 || header->height < 0)) __builtin_trap();
  return 0;
}
