#pragma once
// A restricted unpickler: it understands the pickle opcodes (protocols 2 to 5) and only the
// globals a PyTorch state dict needs. It never imports or calls anything: a global outside the
// allow-list (os.system, builtins.eval, ...) is an error naming it, and the only "calls" it
// performs are the few constructors it implements itself (OrderedDict, tensor rebuilding).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tlab::weights {

struct PickleValue;
using PicklePtr = std::shared_ptr<PickleValue>;

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kGlobal, kStorage, kTensor };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                                   // string, bytes, or "module.name" of a global
  std::vector<PicklePtr> items;                    // tuple, list
  std::vector<std::pair<PicklePtr, PicklePtr>> dict;  // dict / OrderedDict, in insertion order
  torch::Tensor tensor;                            // tensor, or the 1-D storage of a storage
  torch::ScalarType dtype = torch::kFloat32;       // storage element type

  bool is(Kind k) const { return kind == k; }
};

// Called for BINPERSID with the persistent id (a tuple); returns the object it names (a storage).
using PersistentLoad = std::function<PicklePtr(const PicklePtr& pid)>;

// Unpickles one pickle starting at data[offset]; sets *end_offset (when given) to the byte after
// its STOP. `what` names the file in messages. Throws WeightsError for malformed input or a
// forbidden global, and for what no state dict holds: reference cycles, containers nested more
// than 1000 deep, more than 20 million objects.
// Rebuilt tensors are independent contiguous copies of their storage's elements, except where a
// copy could let a small file allocate without bound; those stay views of the storage, as
// torch.load gives them: broadcast views with more elements than their storage (expand()), and
// copies beyond twice the size of all storages plus 64 MiB (thousands of tensors on one storage).
PicklePtr unpickle(const uint8_t* data, size_t size, const PersistentLoad& persistent_load, const std::string& what,
                   size_t offset = 0, size_t* end_offset = nullptr);

// The storage dtype for a storage class name such as "torch.FloatStorage"; throws for others.
torch::ScalarType storage_dtype(const std::string& global_name, const std::string& what);

}  // namespace tlab::weights
