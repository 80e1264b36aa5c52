#pragma once
// Helpers for the weight-reader tests: fixtures made by tests/weights/make_fixtures.py (Debian's
// /usr/bin/python3 with python3-torch), exact comparison against what torch.load gives, and
// checking that a call throws std::runtime_error with a message containing given parts.
#include <nlohmann/json.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "../test_util.h"

namespace tlab::test {

// Runs make_fixtures.py once for all `specs` (see the script's docstring) into `dir`.
inline void make_fixtures(const TempDir& dir, const std::vector<std::string>& specs) {
  std::string cmd = "/usr/bin/python3 " + std::string(TLAB_SOURCE_DIR) + "/tests/weights/make_fixtures.py '" + dir.str() + "'";
  for (const auto& s : specs) cmd += " '" + s + "'";
  ASSERT_EQ(run_command(cmd), 0) << "the PyTorch fixture script failed: " << cmd
                                 << " (needs python3-torch from scripts/setup.sh)";
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

inline std::string read_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "float32", "int64", ... as Python's str(tensor.dtype) without "torch.".
inline std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kInt16: return "int16";
    case torch::kInt8: return "int8";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return "other";
  }
}

// The tensor equals {"dtype", "shape", "values"} (values flattened, exactly).
inline void expect_tensor_equals(const torch::Tensor& t, const nlohmann::json& ref, const std::string& name) {
  SCOPED_TRACE("tensor '" + name + "'");
  ASSERT_TRUE(t.defined());
  EXPECT_EQ(dtype_name(t.scalar_type()), ref["dtype"].get<std::string>());
  ASSERT_EQ(t.sizes().vec(), ref["shape"].get<std::vector<int64_t>>());
  const auto& values = ref["values"];
  ASSERT_EQ(t.numel(), int64_t(values.size()));
  const torch::Tensor flat = t.reshape(-1).contiguous();
  if (t.is_floating_point()) {
    const torch::Tensor d = flat.to(torch::kFloat64).contiguous();
    const double* p = d.data_ptr<double>();
    for (int64_t i = 0; i < d.numel(); ++i) EXPECT_EQ(p[i], values[size_t(i)].get<double>()) << "element " << i;
  } else {
    const torch::Tensor d = flat.to(torch::kInt64).contiguous();
    const int64_t* p = d.data_ptr<int64_t>();
    for (int64_t i = 0; i < d.numel(); ++i) EXPECT_EQ(p[i], values[size_t(i)].get<int64_t>()) << "element " << i;
  }
}

// Exactly equal: dtype, shape and every element (NaN never appears in the fixtures).
inline void expect_same_tensor(const torch::Tensor& a, const torch::Tensor& b, const std::string& name) {
  SCOPED_TRACE("tensor '" + name + "'");
  ASSERT_TRUE(a.defined() && b.defined());
  EXPECT_EQ(a.scalar_type(), b.scalar_type());
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_TRUE(torch::equal(a, b));
}

// `fn` throws std::runtime_error (no other exception type, no crash) whose message contains every
// one of `parts`. Returns the message.
inline std::string expect_runtime_error(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a " << typeid(e).name() << " instead of std::runtime_error: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

}  // namespace tlab::test
