#pragma once
// Shared by the augmentation sources (not installed, not for callers): portable random draws,
// the JSON key readers that produce augment.h's error messages, and the op factories.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "tlab/transforms/augment.h"

namespace tlab::transforms::detail {

// ---- Random draws: defined here rather than with <random>'s distributions, whose algorithms are
// left to the standard library, so a seed gives the same augmentation with any compiler. ----

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return double(rng() >> 11) * 0x1.0p-53; }
// Uniform in [lo, hi) (exactly lo when lo == hi).
inline double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * uniform01(rng); }
// Uniform integer in [0, n), n > 0.
inline int64_t randint(Rng& rng, int64_t n) {
  const int64_t v = int64_t(uniform01(rng) * double(n));
  return v < n ? v : n - 1;
}
// Two independent standard normal values (Box-Muller).
inline std::pair<double, double> normal_pair(Rng& rng) {
  const double u1 = 1.0 - uniform01(rng), u2 = uniform01(rng);  // u1 in (0, 1]
  const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * CV_PI * u2;
  return {r * std::cos(a), r * std::sin(a)};
}
// `n` standard normal floats.
inline void fill_normal(Rng& rng, float* out, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    const auto [a, b] = normal_pair(rng);
    out[i] = float(a);
    if (i + 1 < n) out[i + 1] = float(b);
  }
}
// Python's round(): halves to even (the default floating-point rounding mode).
inline double round_half_even(double v) { return std::nearbyint(v); }

// ---- JSON readers. `op` names the op in messages ("augment op 'keras': ..."). ----

// Throws UsageError for a key of `j` not in `allowed`, listing the allowed ones.
void check_keys(const nlohmann::json& j, const std::string& op, std::initializer_list<const char*> allowed);
double get_number(const nlohmann::json& j, const std::string& op, const char* key, double def);
int get_int(const nlohmann::json& j, const std::string& op, const char* key, int def);
bool get_bool(const nlohmann::json& j, const std::string& op, const char* key, bool def);
std::string get_string(const nlohmann::json& j, const std::string& op, const char* key, const std::string& def);
// A [lo, hi] pair (lo <= hi); a single number v is accepted when `from_number` is given and becomes
// from_number(v).
using Range = std::pair<double, double>;
Range get_range(const nlohmann::json& j, const std::string& op, const char* key, Range def,
                Range (*from_number)(double) = nullptr);
// A probability in [0, 1].
double get_probability(const nlohmann::json& j, const std::string& op, const char* key, double def);
// Throws when v < 0, naming op and key.
void check_non_negative(double v, const std::string& op, const char* key);

// ---- Op factories (each parses and validates its own keys). ----
std::shared_ptr<const ImageOp> make_keras(const nlohmann::json& j);
std::shared_ptr<const ImageOp> make_rand_augment(const nlohmann::json& j);
std::shared_ptr<const ImageOp> make_trivial_augment_wide(const nlohmann::json& j);

// Converts a uint8 image with 1, 3 or 4 channels to `channels` (1 or 3; RGB order).
cv::Mat convert_channels(const cv::Mat& image, int channels);

}  // namespace tlab::transforms::detail
