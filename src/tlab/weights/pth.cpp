#include "tlab/weights/pth.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string_view>

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
    throw WeightsError(str_cat("weights file '", what, "': unexpected persistent id (not a storage)"));
  const auto& it = pid->items;
  if (!it[1]->is(Kind::kGlobal) || !it[2]->is(Kind::kString) || !it[4]->is(Kind::kInt) || it[4]->i < 0)
    throw WeightsError(str_cat("weights file '", what, "': malformed storage reference"));
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
    throw WeightsError(str_cat("weights file '", what, "': storage '", ref.key, "' should hold ", ref.numel,
                                     " elements but has ", available, " bytes (truncated?)"));
  auto t = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
  if (ref.numel > 0) std::memcpy(t.data_ptr(), src, size_t(ref.numel) * elem);
  return t;
}

// A reader for the zip archives torch.save writes (PyTorchStreamWriter, i.e. miniz: stored
// entries, data descriptors, zip64 end records) and for other plain zips (stored or deflated).
// LibTorch's PyTorchStreamReader is not used for untrusted bytes: on malformed archives it leaks
// miniz's state when its constructor throws after opening the archive, lets std::out_of_range
// escape from parsing the "version" record, allocates whatever size an entry declares, and its
// MemoryReadAdapter reads without bounds checks. Every offset and size here is checked against the
// buffer, and no allocation exceeds what the bytes can hold.
class ZipArchive {
 public:
  ZipArchive(const std::string& bytes, std::string what) : bytes_(bytes), what_(std::move(what)) { parse(); }

  // The record `name` inside the archive's folder ("data.pkl" -> "<folder>/data.pkl").
  bool has(const std::string& name) const { return index_.count(folder_ + name) > 0; }

  // The record's bytes: a view into the archive for stored records, else inflated into `scratch`.
  // Checks the CRC-32.
  std::string_view record(const std::string& name, std::string& scratch) const {
    auto it = index_.find(folder_ + name);
    if (it == index_.end()) fail(str_cat("lacks the record '", folder_ + name, "'"));
    const Entry& e = entries_[it->second];
    const uint64_t local = e.local_offset;
    if (local > size() || size() - local < 30 || u32(size_t(local)) != 0x04034b50)
      fail(str_cat("record '", e.name, "' has no local header at byte ", local));
    const uint64_t start = local + 30 + u16(size_t(local) + 26) + u16(size_t(local) + 28);
    if (start > size() || e.comp_size > size() - start)
      fail(str_cat("record '", e.name, "' of ", e.comp_size, " bytes runs past the end of the file (truncated?)"));
    std::string_view data(bytes_.data() + start, size_t(e.comp_size));
    if (e.method == 8) {
      // Deflate expands at most ~1032:1; a larger declared size is a lie (or a zip bomb).
      if (e.uncomp_size / 1032 > e.comp_size + 64)
        fail(str_cat("record '", e.name, "' claims ", e.uncomp_size, " bytes from ", e.comp_size, " compressed"));
      scratch.assign(size_t(e.uncomp_size), '\0');
      inflate_raw(data, scratch, e.name);
      data = scratch;
    } else if (e.comp_size != e.uncomp_size) {
      fail(str_cat("stored record '", e.name, "' has compressed size ", e.comp_size, " but size ", e.uncomp_size));
    }
    if (crc32_of(data) != e.crc) fail(str_cat("record '", e.name, "' fails its CRC-32 check (corrupt file)"));
    return data;
  }

 private:
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t comp_size = 0, uncomp_size = 0, local_offset = 0;
  };

  [[noreturn]] void fail(const std::string& msg) const {
    throw WeightsError(str_cat("weights file '", what_, "' is not a readable zip archive: ", msg));
  }
  uint64_t size() const { return bytes_.size(); }
  // Little-endian fields; callers check that [pos, pos + n) lies inside the buffer.
  uint64_t le(size_t pos, int n) const {
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= uint64_t(uint8_t(bytes_[pos + size_t(k)])) << (8 * k);
    return v;
  }
  uint16_t u16(size_t pos) const { return uint16_t(le(pos, 2)); }
  uint32_t u32(size_t pos) const { return uint32_t(le(pos, 4)); }
  uint64_t u64(size_t pos) const { return le(pos, 8); }

  static uint32_t crc32_of(std::string_view data) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < data.size();) {
      const uInt n = uInt(std::min<size_t>(data.size() - done, 1u << 30));
      crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), n);
      done += n;
    }
    return uint32_t(crc);
  }

  void inflate_raw(std::string_view in, std::string& out, const std::string& name) const {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("zlib could not start");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    size_t in_left = in.size(), out_left = out.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
      const uInt in_chunk = uInt(std::min<size_t>(in_left, 1u << 30)), out_chunk = uInt(std::min<size_t>(out_left, 1u << 30));
      z.avail_in = in_chunk;
      z.avail_out = out_chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      in_left -= in_chunk - z.avail_in;
      out_left -= out_chunk - z.avail_out;
      if (rc == Z_OK && in_chunk == z.avail_in && out_chunk == z.avail_out) rc = Z_BUF_ERROR;  // no progress
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END || out_left != 0)
      fail(str_cat("record '", name, "' does not inflate to its declared ", out.size(), " bytes (corrupt file)"));
  }

  void parse() {
    // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the very end.
    if (size() < 22) fail("too short for a zip archive (truncated?)");
    size_t eocd = std::string::npos;
    const size_t lowest = size() > 22 + 65535 ? size_t(size()) - 22 - 65535 : 0;
    for (size_t p = size_t(size()) - 22 + 1; p-- > lowest;)
      if (u32(p) == 0x06054b50 && p + 22 + u16(p + 20) <= size()) {
        eocd = p;
        break;
      }
    if (eocd == std::string::npos) fail("no end-of-central-directory record (truncated?)");
    uint64_t count = u16(eocd + 10), cd_size = u32(eocd + 12), cd_offset = u32(eocd + 16);
    if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
      // zip64: a 20-byte locator right before the end record points to the zip64 end record.
      if (eocd < 20 || u32(eocd - 20) != 0x07064b50) fail("zip64 archive without its locator (truncated?)");
      const uint64_t z64 = u64(eocd - 20 + 8);
      if (z64 > eocd || eocd - z64 < 56 || u32(size_t(z64)) != 0x06064b50) fail("bad zip64 end record");
      count = u64(size_t(z64) + 32);
      cd_size = u64(size_t(z64) + 40);
      cd_offset = u64(size_t(z64) + 48);
    }
    if (cd_offset > eocd || cd_size > eocd - cd_offset)
      fail(str_cat("central directory [", cd_offset, ", +", cd_size, ") lies outside the file (truncated?)"));
    if (count == 0) fail("the archive holds no records");
    if (count > cd_size / 46) fail(str_cat(count, " records cannot fit a ", cd_size, "-byte central directory"));
    size_t p = size_t(cd_offset);
    const size_t cd_end = size_t(cd_offset + cd_size);
    entries_.reserve(size_t(count));
    for (uint64_t i = 0; i < count; ++i) {
      if (cd_end - p < 46 || u32(p) != 0x02014b50) fail(str_cat("central directory entry ", i, " is malformed"));
      Entry e;
      const uint16_t flags = u16(p + 8);
      e.method = u16(p + 10);
      e.crc = u32(p + 16);
      e.comp_size = u32(p + 20);
      e.uncomp_size = u32(p + 24);
      const size_t name_len = u16(p + 28), extra_len = u16(p + 30), comment_len = u16(p + 32);
      e.local_offset = u32(p + 42);
      if (cd_end - p - 46 < name_len + extra_len + comment_len)
        fail(str_cat("central directory entry ", i, " runs past the directory"));
      e.name.assign(bytes_.data() + p + 46, name_len);
      if (flags & 1) fail(str_cat("record '", e.name, "' is encrypted"));
      if (e.method != 0 && e.method != 8)
        fail(str_cat("record '", e.name, "' uses compression method ", e.method, " (only stored and deflate)"));
      // zip64 extended information: the 64-bit values of the fields that read 0xffffffff, in order.
      for (size_t x = p + 46 + name_len, x_end = x + extra_len; x_end - x >= 4;) {
        const uint16_t id = u16(x), len = u16(x + 2);
        if (x_end - x - 4 < len) fail(str_cat("record '", e.name, "' has a malformed extra field"));
        if (id == 0x0001) {
          size_t f = x + 4;
          const size_t f_end = f + len;
          for (uint64_t* field : {&e.uncomp_size, &e.comp_size, &e.local_offset})
            if (*field == 0xffffffff) {
              if (f_end - f < 8) fail(str_cat("record '", e.name, "' has a short zip64 field"));
              *field = u64(f);
              f += 8;
            }
        }
        x += 4 + size_t(len);
      }
      index_.emplace(e.name, entries_.size());  // the first of duplicate names wins
      entries_.push_back(std::move(e));
      p += 46 + name_len + extra_len + comment_len;
    }
    // torch.save puts every record in one folder named after the file ("archive/data.pkl").
    const std::string& first = entries_.front().name;
    const size_t slash = first.find('/');
    if (slash == std::string::npos)
      fail(str_cat("its first record '", first, "' is not inside a folder, as torch.save writes it"));
    folder_ = first.substr(0, slash + 1);
  }

  const std::string& bytes_;
  std::string what_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
  std::string folder_;  // "archive/"
};

PicklePtr read_zip(const std::string& bytes, const std::string& what) {
  const ZipArchive zip(bytes, what);
  if (zip.has("constants.pkl"))
    throw WeightsError(str_cat("weights file '", what,
                                     "' is a TorchScript module, not a state dict (use it as a TorchScript backbone)"));
  if (!zip.has("data.pkl"))
    throw WeightsError(str_cat("weights file '", what, "' is a zip archive without data.pkl, not a torch.save file"));
  std::string scratch;
  if (zip.has("byteorder")) {
    const std::string order(zip.record("byteorder", scratch));
    if (order != "little")
      throw WeightsError(str_cat("weights file '", what, "' was saved with byte order '", order.substr(0, 16),
                                       "'; only little-endian files are supported"));
  }
  const std::string pkl(zip.record("data.pkl", scratch));
  std::map<std::string, PicklePtr> storages;
  PersistentLoad load = [&](const PicklePtr& pid) -> PicklePtr {
    const StorageRef ref = parse_pid(pid, what, 5);
    if (auto it = storages.find(ref.key); it != storages.end()) return it->second;
    const std::string record = "data/" + ref.key;
    if (!zip.has(record)) throw WeightsError(str_cat("weights file '", what, "' lacks the record '", record, "'"));
    std::string buffer;
    const std::string_view data = zip.record(record, buffer);
    auto value = storage_value(tensor_from_bytes(data.data(), data.size(), ref, what), ref.dtype);
    storages[ref.key] = value;
    return value;
  };
  return unpickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), load, what);
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
        throw WeightsError(str_cat("weights file '", what, "' is big-endian; only little-endian is supported"));
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
  if (!keys || !keys->is(Kind::kList)) throw WeightsError(str_cat("weights file '", what, "': no storage key list"));
  std::map<std::string, torch::Tensor> storage_data;
  for (const auto& k : keys->items) {
    if (!k->is(Kind::kString) || !refs.count(k->s))
      throw WeightsError(str_cat("weights file '", what, "': unknown storage key in the key list"));
    const StorageRef& ref = refs.at(k->s);
    if (size - pos < 8) throw WeightsError(str_cat("weights file '", what, "' is truncated in its storages"));
    int64_t numel = 0;
    std::memcpy(&numel, data + pos, 8);
    pos += 8;
    if (numel != ref.numel)
      throw WeightsError(str_cat("weights file '", what, "': storage '", ref.key, "' has ", numel,
                                       " elements, its reference says ", ref.numel));
    storage_data[ref.key] = tensor_from_bytes(data + pos, size - pos, ref, what);
    pos += size_t(numel) * c10::elementSize(ref.dtype);
  }
  // Pass 2: the object with real storages (views of a storage are slices of it).
  PersistentLoad load = [&](const PicklePtr& pid) -> PicklePtr {
    StorageRef ref = parse_pid(pid, what, 6);
    auto it = storage_data.find(ref.key);
    if (it == storage_data.end())
      throw WeightsError(str_cat("weights file '", what, "': storage '", ref.key, "' has no data"));
    torch::Tensor t = it->second;
    const PicklePtr& view = pid->items[5];
    if (view && view->is(Kind::kTuple) && view->items.size() == 3 && view->items[1]->is(Kind::kInt) &&
        view->items[2]->is(Kind::kInt)) {
      const int64_t off = view->items[1]->i, n = view->items[2]->i;
      if (off < 0 || n < 0 || off > t.numel() || n > t.numel() - off)
        throw WeightsError(str_cat("weights file '", what, "': storage view out of range"));
      t = t.narrow(0, off, n);
    }
    return storage_value(t, ref.dtype);
  };
  return unpickle(data, size, load, what, object_start);
}

}  // namespace

PicklePtr read_torch_bytes(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) throw WeightsError(str_cat("weights file '", what, "' is empty"));
  if (bytes.compare(0, kLegacyMagic.size(), kLegacyMagic) == 0) return read_legacy(bytes, what);
  if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0)
    throw WeightsError(str_cat("weights file '", what,
                                     "' is not a PyTorch weights file (expected the zip archive written by torch.save, "
                                     "or its legacy format)"));
  return read_zip(bytes, what);
}

PicklePtr read_torch_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw WeightsError(str_cat("weights file '", path, "' does not exist"));
  return read_torch_bytes(read_file(path), path);
}

StateDict state_dict_from(const PicklePtr& root, const std::string& what) {
  PicklePtr dict = root;
  if (dict && dict->is(Kind::kDict))
    for (const char* wrapper : {"state_dict", "model"})
      for (const auto& [k, v] : root->dict)
        if (dict == root && k->is(Kind::kString) && k->s == wrapper && v->is(Kind::kDict)) dict = v;
  if (!dict || !dict->is(Kind::kDict))
    throw WeightsError(str_cat("weights file '", what, "' does not hold a state dict (a name -> tensor mapping)"));
  StateDict out;
  for (const auto& [k, v] : dict->dict) {
    if (!k->is(Kind::kString) || !v->is(Kind::kTensor))
      throw WeightsError(str_cat("weights file '", what, "': entry '", k->is(Kind::kString) ? k->s : "?",
                                       "' is not a named tensor; this is not a state dict"));
    out.emplace_back(k->s, v->tensor);
  }
  if (out.empty()) throw WeightsError(str_cat("weights file '", what, "' holds an empty state dict"));
  return out;
}

StateDict read_pth(const std::string& path) { return state_dict_from(read_torch_file(path), path); }

}  // namespace tlab::weights
