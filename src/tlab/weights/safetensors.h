#pragma once
// The safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
// {dtype, shape, data_offsets}, then the raw little-endian tensor bytes.
#include <string>

#include "tlab/weights/pth.h"

namespace tlab::weights {

// Supports F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL. Throws WeightsError naming
// the file for a truncated file, a bad header, unknown dtypes, or offsets outside the data.
StateDict read_safetensors(const std::string& path);
StateDict parse_safetensors(const std::string& bytes, const std::string& what);

}  // namespace tlab::weights
