// The restricted unpickler and the zip container on hand-made bytes: forbidden globals, and the
// regression tests for what fuzzing (fuzz/README.md) and review found: reference cycles, deep
// nesting, null persistent objects, quadratic dict keys, unbounded broadcast copies, malformed zip
// archives that made LibTorch's reader leak, throw foreign exceptions or trust declared sizes.
#include "tlab/weights/pickle.h"

#include <zlib.h>

#include <chrono>

#include "tlab/weights/pth.h"
#include "tlab/weights/safetensors.h"
#include "weights_util.h"

namespace tlab::test {
namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes

using weights::PicklePtr;
using weights::PickleValue;
using Kind = PickleValue::Kind;

std::string le(uint64_t v, int n) {
  std::string s;
  for (int k = 0; k < n; ++k) s += char((v >> (8 * k)) & 0xff);
  return s;
}
// BINUNICODE
std::string str(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string global(const std::string& module, const std::string& name) { return "c" + module + "\n" + name + "\n"; }
const std::string kOrderedDict = global("collections", "OrderedDict") + ")R";

// _rebuild_tensor_v2(storage '0' of `numel` floats, offset, (size,), (stride,), False, OrderedDict())
std::string tensor_1d(int64_t numel, int64_t offset, int64_t size, int64_t stride, const std::string& key = "0") {
  return global("torch._utils", "_rebuild_tensor_v2") + "((" + str("storage") + global("torch", "FloatStorage") +
         str(key) + str("cpu") + "\x8a\x08" + le(uint64_t(numel), 8) + "tQ" + "\x8a\x08" + le(uint64_t(offset), 8) +
         "\x8a\x08" + le(uint64_t(size), 8) + "\x85" + "\x8a\x08" + le(uint64_t(stride), 8) + "\x85" + "\x89" +
         kOrderedDict + "tR";
}
// OrderedDict {"w": tensor_1d(...)}
std::string state_dict_pickle(int64_t numel, int64_t offset, int64_t size, int64_t stride) {
  return "\x80\x02" + kOrderedDict + "(" + str("w") + tensor_1d(numel, offset, size, stride) + "u.";
}

// Persistent ids resolve to arange(n) float storages, n from the id (capped at 64).
PicklePtr small_storage(const PicklePtr& pid) {
  auto v = std::make_shared<PickleValue>();
  v->kind = Kind::kStorage;
  int64_t n = 16;
  if (pid && pid->is(Kind::kTuple) && pid->items.size() > 4 && pid->items[4]->is(Kind::kInt))
    n = std::min<int64_t>(pid->items[4]->i, 64);
  v->tensor = torch::arange(n, torch::kFloat32);
  return v;
}

PicklePtr unpickle(const std::string& bytes, const std::string& what = "hand.pth") {
  return weights::unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), small_storage, what);
}

TEST(PthUnpickle, HandMadeStateDictReads) {
  const auto root = unpickle(state_dict_pickle(8, 2, 3, 2));
  const auto sd = weights::state_dict_from(root, "hand.pth");
  ASSERT_EQ(sd.size(), 1u);
  EXPECT_EQ(sd[0].first, "w");
  EXPECT_TRUE(torch::equal(sd[0].second, torch::tensor({2.0f, 4.0f, 6.0f})));
  // Cut anywhere, it is a clear error.
  const std::string full = state_dict_pickle(8, 2, 3, 2);
  for (size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_runtime_error([&] { unpickle(full.substr(0, cut)); }, {"hand.pth"});
  }
}

TEST(PthUnpickle, ForbiddenGlobalsAreNamedAndRefused) {
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"posix", "system"}, {"builtins", "eval"}, {"builtins", "exec"}, {"subprocess", "Popen"},
           {"torch", "load"}, {"collections", "OrderedDict.__init__"}}) {
    const std::string full = module + "." + name;
    SCOPED_TRACE(full);
    // GLOBAL (protocol 2) and STACK_GLOBAL (protocol 4)
    expect_runtime_error([&] { unpickle("\x80\x02" + global(module, name) + "(" + str("echo") + "tR."); },
                         {"hand.pth", "'" + full + "'", "refusing"});
    expect_runtime_error(
        [&] { unpickle("\x80\x04" + std::string("\x8c") + char(module.size()) + module + "\x8c" + char(name.size()) + name + "\x93."); },
        {"hand.pth", "'" + full + "'"});
  }
}

// Fuzzing found (fuzz_pickle, leak): DUP + APPEND puts a list inside itself; the shared_ptr
// cycle leaked. Now a reference cycle is an error and every container is freed.
TEST(PthUnpickle, ReferenceCycleIsAnErrorNotALeak) {
  for (const std::string& p : {"\x80\x02]2a."s,                // list appended to itself
                               "\x80\x02]q\x00h\x00\x61."s,       // via the memo
                               "\x80\x02}q\x00K\x01h\x00s."s,     // dict holding itself
                               "\x80\x02]2\x85\x61."s,            // list -> tuple -> list
                               "\x80\x02]2a0N."s}) {              // unreachable from the result
    SCOPED_TRACE(::testing::PrintToString(p));
    expect_runtime_error([&] { unpickle(p); }, {"hand.pth", "reference cycle"});
  }
}

// Review found: nesting 200,000 tuples (one byte per level) made destroying the result recurse
// 200,000 deep (stack overflow). Now nesting beyond 1000 levels is an error; a truncated deep
// pickle is freed without recursion.
TEST(PthUnpickle, DeepNestingIsAnErrorNotAStackOverflow) {
  const size_t levels = 200'000;
  const std::string tuples = "\x80\x02K\x01" + std::string(levels, '\x85');
  expect_runtime_error([&] { unpickle(tuples + "."); }, {"hand.pth", "nested more than 1000"});
  expect_runtime_error([&] { unpickle(tuples); }, {"hand.pth", "truncated"});
  const std::string lists = "\x80\x02" + std::string(levels, ']') + std::string(levels - 1, 'a');
  expect_runtime_error([&] { unpickle(lists + "."); }, {"hand.pth", "nested more than 1000"});
  expect_runtime_error([&] { unpickle(lists); }, {"hand.pth"});
  // 999 levels are fine.
  EXPECT_TRUE(unpickle("\x80\x02K\x01" + std::string(998, '\x85') + ".")->is(Kind::kTuple));
}

// Review found: a persistent_load callback returning nullptr put a null on the stack; APPEND then
// dereferenced it.
TEST(PthUnpickle, NullFromPersistentLoadIsAnError) {
  const weights::PersistentLoad null_load = [](const PicklePtr&) { return PicklePtr(); };
  const std::string p = "\x80\x02NQ]a.";
  expect_runtime_error(
      [&] { weights::unpickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), null_load, "null.pth"); },
      {"null.pth", "null"});
}

// Review found: each SETITEM scanned every key (quadratic): 200,000 keys took minutes. A repeated
// key still replaces the value, as in Python.
TEST(PthUnpickle, ManyDictKeysAreLinearAndRepeatedKeysReplace) {
  std::string p = "\x80\x02}(";
  const int n = 200'000;
  for (int i = 0; i < n; ++i) p += str("k" + std::to_string(i)) + "J" + le(uint64_t(i), 4);
  p += str("k7") + "K\x2a" + "u.";
  const auto start = std::chrono::steady_clock::now();
  const auto root = unpickle(p);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0);
  ASSERT_EQ(root->dict.size(), size_t(n));
  EXPECT_EQ(root->dict[7].first->s, "k7");
  EXPECT_EQ(root->dict[7].second->i, 42);
  EXPECT_EQ(root->dict[8].second->i, 8);
}

// Review found: a broadcast view (stride 0) of a small storage was copied element by element: a
// 200-byte pickle asked for 4 TB (std::bad_alloc / c10::Error, not a clear error). It now stays a
// view of its storage, as torch.load gives it. Element counts that overflow are refused.
TEST(PthUnpickle, BroadcastViewLargerThanItsStorageStaysAView) {
  const int64_t huge = int64_t(1) << 40;
  const auto sd = weights::state_dict_from(unpickle(state_dict_pickle(16, 5, huge, 0)), "hand.pth");
  ASSERT_EQ(sd.size(), 1u);
  const torch::Tensor& t = sd[0].second;
  EXPECT_EQ(t.numel(), huge);
  EXPECT_EQ(t.stride(0), 0);
  EXPECT_EQ(t[huge - 1].item<float>(), 5.0f);
  // Views within the storage's size are independent contiguous copies.
  const auto copy = weights::state_dict_from(unpickle(state_dict_pickle(16, 1, 4, 3)), "hand.pth")[0].second;
  EXPECT_TRUE(copy.is_contiguous());
  EXPECT_TRUE(torch::equal(copy, torch::tensor({1.0f, 4.0f, 7.0f, 10.0f})));
  // Out of the storage, negative, overflowing: clear errors.
  for (const auto& [offset, size, stride] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {0, 17, 1}, {16, 1, 1}, {-1, 1, 1}, {0, -1, 1}, {0, 2, -1}, {0, 3, int64_t(1) << 62}}) {
    SCOPED_TRACE(std::to_string(offset) + " " + std::to_string(size) + " " + std::to_string(stride));
    expect_runtime_error([&] { unpickle(state_dict_pickle(16, offset, size, stride)); }, {"hand.pth"});
  }
  // Sizes whose product overflows int64 even though one of them is 0 (LibTorch threw c10::Error).
  const std::string big = "\x8a\x08" + le(uint64_t(1) << 62, 8);
  const std::string zero_numel = "\x80\x02" + global("torch._utils", "_rebuild_tensor_v2") + "((" + str("storage") +
                                 global("torch", "FloatStorage") + str("0") + str("cpu") + "K\x10tQK\x00("s + big + big +
                                 "K\x00t(K\x01K\x01K\x01t\x89"s + kOrderedDict + "tR.";
  expect_runtime_error([&] { unpickle(zero_numel); }, {"hand.pth", "too many elements"});
}

// Review found: every tensor was copied out of its storage, so a file whose thousands of tensors
// all view one large storage (~60 bytes of pickle each) made the reader allocate the storage's
// size thousands of times. Copies are now budgeted (twice the storages' size plus 64 MiB); beyond
// that tensors stay views of the storage, with the same values.
TEST(PthUnpickle, ManyTensorsOnOneStorageDoNotMultiplyMemory) {
  const int64_t n = 1 << 20;  // 4 MiB of float32
  const int tensors = 100;    // 400 MiB if each were copied
  const torch::Tensor storage = torch::arange(n, torch::kFloat32);
  const weights::PersistentLoad load = [&](const PicklePtr&) {
    auto v = std::make_shared<PickleValue>();
    v->kind = Kind::kStorage;
    v->tensor = storage;
    return v;
  };
  std::string p = "\x80\x02" + kOrderedDict + "(";
  for (int i = 0; i < tensors; ++i) p += str("t" + std::to_string(i)) + tensor_1d(n, 0, n, 1);
  p += "u.";
  const auto sd = weights::state_dict_from(
      weights::unpickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), load, "many.pth"), "many.pth");
  ASSERT_EQ(sd.size(), size_t(tensors));
  int copies = 0;
  for (const auto& [k, t] : sd) {
    EXPECT_TRUE(torch::equal(t, storage)) << k;
    copies += !t.is_alias_of(storage);
  }
  // (2 * 4 MiB + 64 MiB) / 4 MiB = 18 copies; the first tensors are independent copies.
  EXPECT_EQ(copies, 18);
  EXPECT_FALSE(sd.front().second.is_alias_of(storage));
  EXPECT_TRUE(sd.back().second.is_alias_of(storage));
}

// Every input a fuzzer crashed on is kept in fuzz/regressions/<target>/ and replayed here: a
// clear std::runtime_error or a successful read, never another exception or a crash. (The fuzz
// build replays them under ASan/UBSan/LeakSanitizer: build-fuzz/fuzz/fuzz_<target> FILE...)
TEST(PthFuzzRegressions, CrashInputsAreClearErrors) {
  const fs::path root = fs::path(TLAB_SOURCE_DIR) / "fuzz" / "regressions";
  int replayed = 0;
  for (const std::string target : {"pickle", "pth", "safetensors"}) {
    if (!fs::is_directory(root / target)) continue;
    for (const auto& entry : fs::directory_iterator(root / target)) {
      SCOPED_TRACE(entry.path().string());
      const std::string bytes = read_binary(entry.path().string());
      ++replayed;
      try {
        if (target == "pickle")
          weights::state_dict_from(unpickle(bytes, "regression"), "regression");
        else if (target == "pth")
          weights::state_dict_from(weights::read_torch_bytes(bytes, "regression"), "regression");
        else
          weights::parse_safetensors(bytes, "regression");
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("regression"), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GE(replayed, 2);
}

// ---------------------------------------------------------------------------------------------
// Zip containers made by hand

struct ZipRecord {
  std::string name, data;
  uint16_t method = 0;           // 0 stored, 8 deflate (data is then deflated here)
  int64_t declared_size = -1;    // uncompressed size in the headers; -1: the real one
};

std::string deflate_raw(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, uLong(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string make_zip(const std::vector<ZipRecord>& records) {
  std::string out, cd;
  for (const auto& r : records) {
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(r.data.data()), uInt(r.data.size())));
    const std::string payload = r.method == 8 ? deflate_raw(r.data) : r.data;
    const uint64_t size = r.declared_size >= 0 ? uint64_t(r.declared_size) : r.data.size();
    const uint64_t comp = r.method == 8 ? payload.size() : size;
    const std::string common = le(r.method, 2) + le(0, 2) + le(0, 2) + le(crc, 4) + le(comp, 4) + le(size, 4) +
                               le(r.name.size(), 2) + le(0, 2);
    cd += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
          le(out.size(), 4) + r.name;
    out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + common + r.name + payload;
  }
  return out + cd + le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(records.size(), 2) + le(records.size(), 2) +
         le(cd.size(), 4) + le(out.size(), 4) + le(0, 2);
}

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(v.begin()), v.size() * sizeof(float));
}

TEST(PthZip, HandMadeArchivesStoredAndDeflatedRead) {
  const std::string pkl = state_dict_pickle(4, 1, 2, 1);
  for (uint16_t method : {uint16_t(0), uint16_t(8)}) {
    SCOPED_TRACE(method);
    const std::string zip = make_zip({{"arch/data.pkl", pkl, method},
                                      {"arch/data/0", floats({1, 2, 3, 4}), method},
                                      {"arch/version", "3\n", method}});
    const auto sd = weights::state_dict_from(weights::read_torch_bytes(zip, "hand.pth"), "hand.pth");
    ASSERT_EQ(sd.size(), 1u);
    EXPECT_TRUE(torch::equal(sd[0].second, torch::tensor({2.0f, 3.0f})));
  }
}

// Fuzzing found (fuzz_pth, leak inside LibTorch): PyTorchStreamReader's constructor leaked
// miniz's state when it threw after opening the archive (first record outside a folder, missing or
// bad "version"), and a "version" too large for stoull escaped as std::out_of_range (terminate in
// the fuzzer). The zip reader is now TransferLab's own; the version record is not needed.
TEST(PthZip, ArchivesThatBrokeLibTorchsReaderAreHandled) {
  const std::string pkl = state_dict_pickle(4, 0, 4, 1);
  const std::string data = floats({1, 2, 3, 4});
  // A version string stoull cannot hold: read normally.
  const std::string big_version =
      make_zip({{"a/data.pkl", pkl}, {"a/data/0", data}, {"a/version", "99999999999999999999999"}});
  EXPECT_EQ(weights::state_dict_from(weights::read_torch_bytes(big_version, "v.pth"), "v.pth").size(), 1u);
  // First record not inside a folder.
  expect_runtime_error([&] { weights::read_torch_bytes(make_zip({{"data.pkl", pkl}, {"version", "3"}}), "flat.pth"); },
                       {"flat.pth", "not inside a folder"});
  // No data.pkl, or a storage record missing.
  expect_runtime_error([&] { weights::read_torch_bytes(make_zip({{"a/version", "3"}}), "nopkl.pth"); },
                       {"nopkl.pth", "without data.pkl"});
  expect_runtime_error([&] { weights::read_torch_bytes(make_zip({{"a/data.pkl", pkl}}), "nodata.pth"); },
                       {"nodata.pth", "lacks the record 'data/0'"});
  // A TorchScript archive is named as such.
  expect_runtime_error(
      [&] { weights::read_torch_bytes(make_zip({{"m/data.pkl", pkl}, {"m/constants.pkl", "\x80\x02)."}}), "ts.pt"); },
      {"ts.pt", "TorchScript"});
}

// Review found: LibTorch's reader allocated whatever size an entry declared before reading it, and
// MemoryReadAdapter::read copies without a bounds check. Sizes are now checked against the bytes.
TEST(PthZip, DeclaredSizesBeyondTheFileAreClearErrors) {
  const std::string pkl = state_dict_pickle(4, 0, 4, 1);
  const std::string data = floats({1, 2, 3, 4});
  struct Case {
    ZipRecord bad;
    const char* expect;
  };
  for (const Case& c : {Case{{"a/data/0", data, 0, int64_t(0xf0000000)}, "runs past the end"},
                        Case{{"a/data/0", data, 0, 8}, "CRC"},
                        Case{{"a/data/0", data, 8, int64_t(0xf0000000)}, "claims"},
                        Case{{"a/data/0", data, 8, 20}, "does not inflate"},
                        Case{{"a/data/0", data, 8, 8}, "does not inflate"}}) {
    SCOPED_TRACE(c.expect);
    const std::string zip = make_zip({{"a/data.pkl", pkl}, c.bad});
    expect_runtime_error([&] { weights::read_torch_bytes(zip, "size.pth"); }, {"size.pth", c.expect});
  }
  // Central directory offsets and counts that point outside the file.
  std::string zip = make_zip({{"a/data.pkl", pkl}, {"a/data/0", data}});
  const size_t eocd = zip.size() - 22;
  for (const auto& [field, value, expect] : std::vector<std::tuple<size_t, uint64_t, std::string>>{
           {16, 0xffffffff, "zip64"}, {16, 0x7ffffff0, "outside the file"}, {12, 0x7fffffff, "outside the file"},
           {10, 0xfff0, "cannot fit"}, {10, 0, "no records"}}) {
    SCOPED_TRACE(expect);
    std::string bad = zip;
    bad.replace(eocd + field, field == 10 ? 2 : 4, le(value, field == 10 ? 2 : 4));
    if (field == 10) bad.replace(eocd + 8, 2, le(value, 2));
    expect_runtime_error([&] { weights::read_torch_bytes(bad, "cd.pth"); }, {"cd.pth", expect});
  }
}

}  // namespace
}  // namespace tlab::test
