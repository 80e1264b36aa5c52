// The safetensors reader: every dtype round-trips exactly (files written by hand in Python and in
// C++), and every kind of bad file is a clear std::runtime_error naming the file.
#include "tlab/weights/safetensors.h"

#include "tlab/weights/load.h"
#include "weights_util.h"

namespace tlab::test {
namespace {

using weights::StateDict;

// An 8-byte little-endian header length, the header, the data.
std::string with_header(const std::string& header, const std::string& data, uint64_t header_len) {
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k) out[size_t(k)] = char((header_len >> (8 * k)) & 0xff);
  return out + header + data;
}
std::string safetensors_bytes(const nlohmann::json& header, const std::string& data) {
  const std::string h = header.dump();
  return with_header(h, data, h.size());
}
std::string raw(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}
torch::Tensor find(const StateDict& sd, const std::string& name) {
  for (const auto& [k, v] : sd)
    if (k == name) return v;
  ADD_FAILURE() << "no tensor '" << name << "'";
  return torch::Tensor();
}

// A valid file: "w" F32 [2, 2] and "b" I64 [3].
std::string valid_file() {
  const std::string w = raw(torch::tensor({1.0f, -2.0f, 3.5f, 0.25f})), b = raw(torch::tensor({int64_t(-1), int64_t(0), int64_t(1) << 40}));
  nlohmann::json h;
  h["w"] = {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {0, w.size()}}};
  h["b"] = {{"dtype", "I64"}, {"shape", {3}}, {"data_offsets", {w.size(), w.size() + b.size()}}};
  return safetensors_bytes(h, w + b);
}

// One tensor "t" with the given header fields and data.
std::string one_tensor(const nlohmann::json& info, const std::string& data) {
  nlohmann::json h;
  h["t"] = info;
  return safetensors_bytes(h, data);
}

TEST(Safetensors, EveryDtypeFromPythonRoundTripsExactly) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"safetensors"}));
  const auto ref = read_json(dir.str("safetensors.json"));
  const StateDict all = weights::read_safetensors(dir.str("st_all.safetensors"));
  EXPECT_EQ(all.size(), 12u);
  for (const char* tag : {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"}) {
    SCOPED_TRACE(tag);
    const std::string path = dir.str(std::string("st_") + tag + ".safetensors");
    const StateDict sd = weights::read_safetensors(path);
    ASSERT_EQ(sd.size(), 1u);
    EXPECT_EQ(sd[0].first, "t");
    expect_tensor_equals(sd[0].second, ref[tag], tag);
    expect_tensor_equals(find(all, std::string("t_") + tag), ref[tag], tag);
    // read_weights recognises safetensors by content.
    const StateDict again = weights::read_weights(path);
    ASSERT_EQ(again.size(), 1u);
    expect_same_tensor(again[0].second, sd[0].second, tag);
  }
  const torch::Tensor scalar = find(all, "scalar");
  ASSERT_TRUE(scalar.defined());
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.item<float>(), 2.5f);
  EXPECT_EQ(find(all, "empty").sizes().vec(), (std::vector<int64_t>{0, 4}));
}

TEST(Safetensors, EveryDtypeWrittenInCppRoundTripsExactly) {
  torch::manual_seed(7);
  const std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"F64", torch::randn({3, 2}, torch::kFloat64) * 1e300},
      {"F32", torch::tensor({0.0f, -0.0f, 1e-45f, 3.4e38f, -1.5f})},
      {"F16", torch::randn({4}).to(torch::kFloat16)},
      {"BF16", torch::randn({2, 3}).to(torch::kBFloat16)},
      {"I64", torch::tensor({std::numeric_limits<int64_t>::min(), int64_t(0), std::numeric_limits<int64_t>::max()})},
      {"I32", torch::tensor({int64_t(std::numeric_limits<int32_t>::min()), int64_t(1),
                              int64_t(std::numeric_limits<int32_t>::max())})
                    .to(torch::kInt32)},
      {"I16", torch::tensor({-32768, 0, 32767}).to(torch::kInt16)},
      {"I8", torch::tensor({-128, 0, 127}).to(torch::kInt8)},
      {"U8", torch::tensor({0, 128, 255}).to(torch::kUInt8)},
      {"BOOL", torch::tensor({true, false, true})},
      {"F32", torch::tensor(42.0f)},               // 0-d
      {"F32", torch::zeros({0, 5})},               // empty
      {"I64", torch::arange(12).reshape({3, 4}).t()},  // non-contiguous source, stored contiguous
  };
  nlohmann::json h;
  h["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string bytes = raw(tensors[i].second);
    h["t" + std::to_string(i)] = {{"dtype", tensors[i].first},
                                  {"shape", tensors[i].second.sizes().vec()},
                                  {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data += bytes;
  }
  const StateDict sd = weights::parse_safetensors(safetensors_bytes(h, data), "cpp.safetensors");
  ASSERT_EQ(sd.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string name = "t" + std::to_string(i);
    expect_same_tensor(find(sd, name), tensors[i].second, name + " (" + tensors[i].first + ")");
  }
}

TEST(Safetensors, EmptyFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.str("empty.safetensors");
  write_bytes(path, "");
  expect_runtime_error([&] { weights::read_safetensors(path); }, {path, "too short"});
  expect_runtime_error([&] { weights::read_weights(path); }, {path, "empty"});
  expect_runtime_error([&] { weights::read_safetensors(dir.str("missing.safetensors")); },
                       {dir.str("missing.safetensors"), "does not exist"});
}

TEST(Safetensors, BadHeaderLengthIsAClearError) {
  const std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const std::string data(4, '\0');
  for (uint64_t len : {uint64_t(header.size() + 5), uint64_t(header.size() + data.size() + 1), uint64_t(1) << 32,
                       uint64_t(1) << 63, ~uint64_t(0)}) {
    SCOPED_TRACE(len);
    expect_runtime_error([&] { weights::parse_safetensors(with_header(header, data, len), "len.safetensors"); },
                         {"len.safetensors", "header length"});
  }
  // Too short a length cuts the JSON.
  expect_runtime_error([&] { weights::parse_safetensors(with_header(header, data, 10), "short.safetensors"); },
                       {"short.safetensors", "not a JSON object"});
  expect_runtime_error([&] { weights::parse_safetensors(with_header(header, data, 0), "zero.safetensors"); },
                       {"zero.safetensors", "not a JSON object"});
}

TEST(Safetensors, HeaderThatIsNotAJsonObjectIsAClearError) {
  for (const std::string& header : std::vector<std::string>{"{\"t\": {", "not json at all", "[1, 2, 3]", "\"a string\"",
                                                           "42", "null", std::string("{\"t\":\0}", 7)}) {
    SCOPED_TRACE(header);
    expect_runtime_error([&] { weights::parse_safetensors(with_header(header, "", header.size()), "h.safetensors"); },
                         {"h.safetensors", "not a JSON object"});
  }
}

TEST(Safetensors, OffsetsOutsideTheDataAreAClearError) {
  const std::string data(16, '\x01');
  for (const auto& offsets : std::vector<std::vector<uint64_t>>{{0, 20}, {16, 20}, {12, 16 + 4}, {100, 104},
                                                                 {~uint64_t(0) - 3, ~uint64_t(0)}}) {
    SCOPED_TRACE(nlohmann::json(offsets).dump());
    expect_runtime_error(
        [&] {
          weights::parse_safetensors(one_tensor({{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", offsets}}, data),
                                     "off.safetensors");
        },
        {"off.safetensors", "outside"});
  }
  // begin after end
  expect_runtime_error(
      [&] {
        weights::parse_safetensors(one_tensor({{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {8, 4}}}, data),
                                   "rev.safetensors");
      },
      {"rev.safetensors", "'t'"});
  // not two unsigned integers
  for (const nlohmann::json& offsets : {nlohmann::json{0}, nlohmann::json{0, 4, 8}, nlohmann::json{-4, 0},
                                        nlohmann::json{0.5, 4}, nlohmann::json{"0", "4"}, nlohmann::json("0-4")}) {
    SCOPED_TRACE(offsets.dump());
    expect_runtime_error(
        [&] {
          weights::parse_safetensors(one_tensor({{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", offsets}}, data),
                                     "badoff.safetensors");
        },
        {"badoff.safetensors", "'t'"});
  }
}

TEST(Safetensors, SizeThatDisagreesWithShapeIsAClearError) {
  const std::string data(64, '\0');
  struct Case {
    const char* dtype;
    std::vector<int64_t> shape;
    uint64_t bytes;
  };
  for (const Case& c : {Case{"F32", {2, 2}, 12}, Case{"F32", {2, 2}, 20}, Case{"F64", {3}, 12}, Case{"BF16", {4}, 4},
                        Case{"BOOL", {5}, 4}, Case{"F32", {}, 0}, Case{"I64", {0}, 8}}) {
    SCOPED_TRACE(std::string(c.dtype) + " " + nlohmann::json(c.shape).dump());
    expect_runtime_error(
        [&] {
          weights::parse_safetensors(
              one_tensor({{"dtype", c.dtype}, {"shape", c.shape}, {"data_offsets", {0, c.bytes}}}, data),
              "size.safetensors");
        },
        {"size.safetensors", "'t'", "needs"});
  }
  // Shapes whose element count overflows are refused before any arithmetic wraps.
  expect_runtime_error(
      [&] {
        weights::parse_safetensors(
            one_tensor({{"dtype", "F64"}, {"shape", {uint64_t(1) << 32, uint64_t(1) << 32, uint64_t(1) << 32}},
                        {"data_offsets", {0, 0}}},
                       data),
            "huge.safetensors");
      },
      {"huge.safetensors", "'t'"});
  // Bad shape entries.
  for (const nlohmann::json& shape : {nlohmann::json{-1}, nlohmann::json{1.5}, nlohmann::json{"2"}, nlohmann::json(4),
                                      nlohmann::json{nullptr}}) {
    SCOPED_TRACE(shape.dump());
    expect_runtime_error(
        [&] {
          weights::parse_safetensors(one_tensor({{"dtype", "U8"}, {"shape", shape}, {"data_offsets", {0, 1}}}, data),
                                     "shape.safetensors");
        },
        {"shape.safetensors", "'t'"});
  }
}

TEST(Safetensors, UnknownDtypeIsAClearError) {
  for (const nlohmann::json& dtype : {nlohmann::json("F8_E4M3"), nlohmann::json("Q4_0"), nlohmann::json("f32"),
                                      nlohmann::json(""), nlohmann::json(32), nlohmann::json(nullptr)}) {
    SCOPED_TRACE(dtype.dump());
    const std::string msg = expect_runtime_error(
        [&] {
          weights::parse_safetensors(one_tensor({{"dtype", dtype}, {"shape", {1}}, {"data_offsets", {0, 1}}}, "x"),
                                     "dtype.safetensors");
        },
        {"dtype.safetensors", "'t'"});
    if (dtype.is_string()) EXPECT_NE(msg.find("'" + dtype.get<std::string>() + "'"), std::string::npos) << msg;
  }
}

TEST(Safetensors, MissingFieldsAndNoTensorsAreClearErrors) {
  for (const nlohmann::json& info : {nlohmann::json{{"shape", {1}}, {"data_offsets", {0, 4}}},
                                     nlohmann::json{{"dtype", "F32"}, {"data_offsets", {0, 4}}},
                                     nlohmann::json{{"dtype", "F32"}, {"shape", {1}}}, nlohmann::json(3),
                                     nlohmann::json::array()}) {
    SCOPED_TRACE(info.dump());
    expect_runtime_error([&] { weights::parse_safetensors(one_tensor(info, std::string(4, '\0')), "f.safetensors"); },
                         {"f.safetensors", "'t'"});
  }
  expect_runtime_error(
      [&] { weights::parse_safetensors(safetensors_bytes({{"__metadata__", {{"a", "b"}}}}, ""), "meta.safetensors"); },
      {"meta.safetensors", "no tensors"});
  expect_runtime_error([&] { weights::parse_safetensors(safetensors_bytes(nlohmann::json::object(), ""), "e.safetensors"); },
                       {"e.safetensors", "no tensors"});
}

TEST(Safetensors, TruncatedFileIsAClearErrorAtEveryCut) {
  TempDir dir;
  const std::string bytes = valid_file();
  const StateDict sd = weights::parse_safetensors(bytes, "valid.safetensors");
  ASSERT_EQ(sd.size(), 2u);
  expect_same_tensor(find(sd, "w"), torch::tensor({1.0f, -2.0f, 3.5f, 0.25f}).reshape({2, 2}), "w");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    expect_runtime_error([&] { weights::parse_safetensors(bytes.substr(0, cut), "cut.safetensors"); },
                         {"cut.safetensors"});
  }
  const std::string path = dir.str("cut.safetensors");
  write_bytes(path, bytes.substr(0, bytes.size() - 3));
  expect_runtime_error([&] { weights::read_safetensors(path); }, {path, "outside", "truncated"});
  expect_runtime_error([&] { weights::read_weights(path); }, {path, "outside"});
}

}  // namespace
}  // namespace tlab::test
