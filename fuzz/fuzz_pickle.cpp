// libFuzzer target: the restricted unpickler on arbitrary bytes.
//
// Persistent ids (BINPERSID) resolve to a small storage: of the dtype the id names when it names a
// storage class the reader knows (as torch.save's ('storage', torch.FloatStorage, key, 'cpu', n)
// does), float32 otherwise, so that tensor rebuilding is exercised as well. The root object then
// goes through state_dict_from. Only std::runtime_error is an accepted outcome for bad input:
// any other exception escapes and libFuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "tlab/weights/pickle.h"
#include "tlab/weights/pth.h"

namespace {

using tlab::weights::PicklePtr;
using tlab::weights::PickleValue;

PicklePtr small_storage(const PicklePtr& pid) {
  torch::ScalarType dtype = torch::kFloat32;
  if (pid && pid->is(PickleValue::Kind::kTuple) && pid->items.size() > 1 && pid->items[1] &&
      pid->items[1]->is(PickleValue::Kind::kGlobal)) {
    try {
      dtype = tlab::weights::storage_dtype(pid->items[1]->s, "fuzz");
    } catch (const std::runtime_error&) {
    }
  }
  auto v = std::make_shared<PickleValue>();
  v->kind = PickleValue::Kind::kStorage;
  v->dtype = dtype;
  v->tensor = torch::arange(16).to(dtype);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    PicklePtr root = tlab::weights::unpickle(data, size, small_storage, "fuzz");
    tlab::weights::state_dict_from(root, "fuzz");
  } catch (const std::runtime_error&) {
    // a clear error is the expected outcome for most inputs
  }
  return 0;
}
