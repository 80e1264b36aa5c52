#include "tlab/weights/pth.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace tlab::weights {
namespace {

using Kind = PickleValue::Kind;

// The first pickle of a legacy torch.save file: the magic number 0x1950a86a20f9469cfc6c.
const std::string kLegacyMagic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e", 15);

struct StorageRef {
  std::string key;
  torch::ScalarType dtype;
  int64_t numel;
};

StorageRef parse_pid(const PicklePtr& pid, const std::string& what, size_t min_items) {
  if (!pid || !pid->is(Kind::kTuple) || pid->items.size() < min_items || !pid->items[0]->is(Kind::kString) ||
      pid->items[0]->s != "storage")
    throw std::runtime_error(str_cat("weights file '", what, "': unexpected persistent id (not a storage)"));
  const auto& it = pid->items;
  if (!it[1]->is(Kind::kGlobal) || !it[2]->is(Kind::kString) || !it[4]->is(Kind::kInt) || it[4]->i < 0)
    throw std::runtime_error(str_cat("weights file '", what, "': malformed storage reference"));
  return {it[2]->s, storage_dtype(it[1]->s, what), it[4]->i};
}

PicklePtr storage_value(torch::Tensor data, torch::ScalarType dtype) {
  auto v = std::make_shared<PickleValue>();
  v->kind = Kind::kStorage;
  v->dtype = dtype;
  v->tensor = std::move(data);
  return v;
}

torch::Tensor tensor_from_bytes(const void* src, size_t available, const StorageRef& ref, const std::string& what) {
  const size_t elem = c10::elementSize(ref.dtype);
  if (uint64_t(ref.numel) > available / elem)
    throw std::runtime_error(str_cat("weights file '", what, "': storage '", ref.key, "' should hold ", ref.numel,
                                     " elements but has ", available, " bytes (truncated?)"));
  auto t = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
  if (ref.numel > 0) std::memcpy(t.data_ptr(), src, size_t(ref.numel) * elem);
  return t;
}

PicklePtr read_zip(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> adapter, const std::string& what) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(adapter);
  } catch (const c10::Error& e) {
    throw std::runtime_error(str_cat("weights file '", what, "' is not a readable zip archive (truncated or corrupt?): ",
                                     e.what_without_backtrace()));
  }
  try {
    if (reader->hasRecord("constants.pkl") || !reader->hasRecord("data.pkl"))
      throw std::runtime_error(str_cat("weights file '", what, "' is ",
                                       reader->hasRecord("constants.pkl")
                                           ? "a TorchScript module, not a state dict (use it as a TorchScript backbone)"
                                           : "a zip archive without data.pkl, not a torch.save file"));
    if (reader->hasRecord("byteorder")) {
      auto [ptr, n] = reader->getRecord("byteorder");
      const std::string order(static_cast<const char*>(ptr.get()), n);
      if (order != "little")
        throw std::runtime_error(str_cat("weights file '", what, "' was saved with byte order '", order,
                                         "'; only little-endian files are supported"));
    }
    auto [pkl, pkl_size] = reader->getRecord("data.pkl");
    std::map<std::string, PicklePtr> storages;
    PersistentLoad load = [&](const PicklePtr& pid) -> PicklePtr {
      const StorageRef ref = parse_pid(pid, what, 5);
      if (auto it = storages.find(ref.key); it != storages.end()) return it->second;
      const std::string record = "data/" + ref.key;
      if (!reader->hasRecord(record))
        throw std::runtime_error(str_cat("weights file '", what, "' lacks the record '", record, "'"));
      auto [data, n] = reader->getRecord(record);
      auto value = storage_value(tensor_from_bytes(data.get(), n, ref, what), ref.dtype);
      storages[ref.key] = value;
      return value;
    };
    return unpickle(static_cast<const uint8_t*>(pkl.get()), pkl_size, load, what);
  } catch (const c10::Error& e) {
    throw std::runtime_error(str_cat("weights file '", what, "': corrupt zip record: ", e.what_without_backtrace()));
  }
}

// Legacy format: magic, protocol version, sys info, the object, the storage keys, then each
// storage as an 8-byte element count and its raw little-endian bytes.
PicklePtr read_legacy(const std::string& bytes, const std::string& what) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  size_t pos = kLegacyMagic.size();
  unpickle(data, size, nullptr, what, pos, &pos);  // protocol version
  auto sys_info = unpickle(data, size, nullptr, what, pos, &pos);
  if (sys_info && sys_info->is(Kind::kDict))
    for (const auto& [k, v] : sys_info->dict)
      if (k->is(Kind::kString) && k->s == "little_endian" && v->is(Kind::kBool) && !v->b)
        throw std::runtime_error(str_cat("weights file '", what, "' is big-endian; only little-endian is supported"));
  const size_t object_start = pos;

  // Pass 1: find the storages (placeholders, no data yet) and where the object pickle ends.
  std::map<std::string, StorageRef> refs;
  PersistentLoad collect = [&](const PicklePtr& pid) -> PicklePtr {
    StorageRef ref = parse_pid(pid, what, 6);
    refs.emplace(ref.key, ref);
    return storage_value(torch::Tensor(), ref.dtype);
  };
  unpickle(data, size, collect, what, object_start, &pos);
  auto keys = unpickle(data, size, nullptr, what, pos, &pos);
  if (!keys || !keys->is(Kind::kList)) throw std::runtime_error(str_cat("weights file '", what, "': no storage key list"));
  std::map<std::string, torch::Tensor> storage_data;
  for (const auto& k : keys->items) {
    if (!k->is(Kind::kString) || !refs.count(k->s))
      throw std::runtime_error(str_cat("weights file '", what, "': unknown storage key in the key list"));
    const StorageRef& ref = refs.at(k->s);
    if (size - pos < 8) throw std::runtime_error(str_cat("weights file '", what, "' is truncated in its storages"));
    int64_t numel = 0;
    std::memcpy(&numel, data + pos, 8);
    pos += 8;
    if (numel != ref.numel)
      throw std::runtime_error(str_cat("weights file '", what, "': storage '", ref.key, "' has ", numel,
                                       " elements, its reference says ", ref.numel));
    storage_data[ref.key] = tensor_from_bytes(data + pos, size - pos, ref, what);
    pos += size_t(numel) * c10::elementSize(ref.dtype);
  }
  // Pass 2: the object with real storages (views of a storage are slices of it).
  PersistentLoad load = [&](const PicklePtr& pid) -> PicklePtr {
    StorageRef ref = parse_pid(pid, what, 6);
    auto it = storage_data.find(ref.key);
    if (it == storage_data.end())
      throw std::runtime_error(str_cat("weights file '", what, "': storage '", ref.key, "' has no data"));
    torch::Tensor t = it->second;
    const PicklePtr& view = pid->items[5];
    if (view && view->is(Kind::kTuple) && view->items.size() == 3 && view->items[1]->is(Kind::kInt) &&
        view->items[2]->is(Kind::kInt)) {
      const int64_t off = view->items[1]->i, n = view->items[2]->i;
      if (off < 0 || n < 0 || off > t.numel() || n > t.numel() - off)
        throw std::runtime_error(str_cat("weights file '", what, "': storage view out of range"));
      t = t.narrow(0, off, n);
    }
    return storage_value(t, ref.dtype);
  };
  return unpickle(data, size, load, what, object_start);
}

}  // namespace

PicklePtr read_torch_bytes(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) throw std::runtime_error(str_cat("weights file '", what, "' is empty"));
  if (bytes.compare(0, kLegacyMagic.size(), kLegacyMagic) == 0) return read_legacy(bytes, what);
  if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0)
    throw std::runtime_error(str_cat("weights file '", what,
                                     "' is not a PyTorch weights file (expected the zip archive written by torch.save, "
                                     "or its legacy format)"));
  return read_zip(std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()), what);
}

PicklePtr read_torch_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error(str_cat("weights file '", path, "' does not exist"));
  return read_torch_bytes(read_file(path), path);
}

StateDict state_dict_from(const PicklePtr& root, const std::string& what) {
  PicklePtr dict = root;
  if (dict && dict->is(Kind::kDict))
    for (const char* wrapper : {"state_dict", "model"})
      for (const auto& [k, v] : root->dict)
        if (dict == root && k->is(Kind::kString) && k->s == wrapper && v->is(Kind::kDict)) dict = v;
  if (!dict || !dict->is(Kind::kDict))
    throw std::runtime_error(str_cat("weights file '", what, "' does not hold a state dict (a name -> tensor mapping)"));
  StateDict out;
  for (const auto& [k, v] : dict->dict) {
    if (!k->is(Kind::kString) || !v->is(Kind::kTensor))
      throw std::runtime_error(str_cat("weights file '", what, "': entry '", k->is(Kind::kString) ? k->s : "?",
                                       "' is not a named tensor; this is not a state dict"));
    out.emplace_back(k->s, v->tensor);
  }
  if (out.empty()) throw std::runtime_error(str_cat("weights file '", what, "' holds an empty state dict"));
  return out;
}

StateDict read_pth(const std::string& path) { return state_dict_from(read_torch_file(path), path); }

}  // namespace tlab::weights
