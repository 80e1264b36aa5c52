// Request bodies -> model inputs: the accepted forms, and a 400/413 saying what was expected for
// everything else.
#include "tlab/serve/request_parsing.h"

#include <nlohmann/json.hpp>

#include "../test_util.h"
#include "serve_util.h"

namespace tlab::test {
namespace {

// Runs `run` expecting a RequestError with `status` whose message contains `needle`.
template <typename Run>
void expect_refused(Run run, int status, const std::string& needle) {
  try {
    run();
    ADD_FAILURE() << "no error; expected " << status << " mentioning " << needle;
  } catch (const serve::RequestError& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::string base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += a[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

TEST(ServeParsing, Base64RoundTripsAndRefusesOtherCharacters) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10\x80", 4)})
    EXPECT_EQ(serve::base64_decode(base64(s), "x"), s);
  EXPECT_EQ(serve::base64_decode("YWJj\nZA", "x"), "abcd");  // whitespace ignored, padding optional
  EXPECT_EQ(serve::base64_decode("-_-_", "x"), serve::base64_decode("+/+/", "x"));
  expect_refused([] { serve::base64_decode("YW*j", "instances[0]"); }, 400, "instances[0]: not base64");
  expect_refused([] { serve::base64_decode("YWJjZ", "x"); }, 400, "truncated");
  expect_refused([] { serve::base64_decode("YQ==YQ", "x"); }, 400, "not base64");
}

TEST(ServeParsing, PredictBodiesRawMultipartAndJson) {
  const std::string png = encoded_image(8, 6, 1);
  serve::RequestBody raw{"image/png", png, false, {}};
  auto images = serve::predict_images(raw);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].bytes, png);

  serve::RequestBody form{"multipart/form-data; boundary=x", "", true,
                          {{"image", "a.png", "image/png", png}, {"note", "", "", "hi"}, {"image", "", "", "b"}}};
  images = serve::predict_images(form);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].name, "image #1 (a.png)");
  EXPECT_EQ(images[1].bytes, "b");

  const nlohmann::json j = {{"instances", {{{"b64", base64(png)}}, {{"b64", base64("xyz")}}}}};
  images = serve::predict_images({"Application/JSON; charset=utf-8", j.dump(), false, {}});
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].bytes, png);
  EXPECT_EQ(images[1].name, "instances[1]");

  expect_refused([] { serve::predict_images({"image/png", "", false, {}}); }, 400, "empty body: expected a raw image");
  expect_refused([] { serve::predict_images({"multipart/form-data", "", true, {{"photo", "", "", "x"}}}); }, 400,
                 "without a field 'image' (it has 'photo')");
  expect_refused([] { serve::predict_images({"application/json", "{\"instances\": 3}", false, {}}); }, 400,
                 "\"instances\"");
  expect_refused([] { serve::predict_images({"application/json", "{\"instances\": [{\"url\": 1}]}", false, {}}); }, 400,
                 "instances[0]: expected an object {\"b64\"");
  expect_refused([] { serve::predict_images({"application/json", "{nope", false, {}}); }, 400, "does not parse");
}

TEST(ServeParsing, ImagesAreCheckedBeforeDecoding) {
  const auto spec = small_model().input;
  const auto x = serve::decode_and_preprocess({"body", encoded_image(30, 24, 2)}, spec, 1000);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{3, 20, 20}));
  expect_refused([&] { serve::decode_and_preprocess({"body", encoded_image(50, 40, 2)}, spec, 1999); }, 413,
                 "50 x 40 pixels, over the server's limit of 1999 (--max-pixels)");
  expect_refused([&] { serve::decode_and_preprocess({"body", "hello, world"}, spec, 1000); }, 400,
                 "not an image this server reads");
  // A PNG whose header reads but whose pixels are gone: refused after the header check, at decoding.
  const std::string broken = encoded_image(30, 24, 2).substr(0, 33) + std::string(64, 'x');
  expect_refused([&] { serve::decode_and_preprocess({"body", broken}, spec, 1000); }, 400, "cannot decode image 'body'");
}

TEST(ServeParsing, V2InferRequestsSayWhatWasExpected) {
  auto spec = small_model().input;
  spec.height = spec.width = 2;
  nlohmann::json in = {{"name", "input"}, {"shape", {2, 3, 2, 2}}, {"datatype", "FP32"}};
  in["data"] = std::vector<float>(24, 0.5f);
  in["data"][23] = -1.25;
  nlohmann::json body = {{"id", "r1"}, {"inputs", {in}}, {"outputs", {{{"name", "probabilities"}}}}};
  const auto r = serve::parse_infer_request(body.dump(), spec);
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.input.sizes(), (std::vector<int64_t>{2, 3, 2, 2}));
  EXPECT_FLOAT_EQ(r.input[1][2][1][1].item<float>(), -1.25f);
  EXPECT_EQ(r.outputs, (std::vector<std::string>{"probabilities"}));

  auto with = [&](const std::string& key, const nlohmann::json& v) {
    nlohmann::json b = {{"inputs", {in}}};
    b["inputs"][0][key] = v;
    return b.dump();
  };
  expect_refused([&] { serve::parse_infer_request(with("shape", {2, 3, 4, 4}), spec); }, 400,
                 "inputs[0].shape: expected [N, 3, 2, 2] with N >= 1, got [2, 3, 4, 4]");
  expect_refused([&] { serve::parse_infer_request(with("shape", {3, 2, 2}), spec); }, 400, "inputs[0].shape");
  expect_refused([&] { serve::parse_infer_request(with("datatype", "INT8"), spec); }, 400,
                 "inputs[0].datatype: expected \"FP32\", got \"INT8\"");
  expect_refused([&] { serve::parse_infer_request(with("name", "x"), spec); }, 400, "expected \"input\"");
  expect_refused([&] { serve::parse_infer_request(with("data", std::vector<float>(23, 0)), spec); }, 400,
                 "expected a flat list of 24 numbers (N*C*H*W for shape [2, 3, 2, 2], row-major), got 23 values");
  auto strings = std::vector<std::string>(24, "a");
  expect_refused([&] { serve::parse_infer_request(with("data", strings), spec); }, 400, "data[0]: expected a number");
  expect_refused([&] { serve::parse_infer_request("[1, 2]", spec); }, 400, "expected a JSON object");
  expect_refused([&] { serve::parse_infer_request("{\"inputs\": []}", spec); }, 400, "a list of one tensor");
  expect_refused([&] { serve::parse_infer_request("not json", spec); }, 400, "not JSON");
}

TEST(ServeParsing, TopK) {
  EXPECT_EQ(serve::parse_topk("", false, 5, 1000), 5);
  EXPECT_EQ(serve::parse_topk("", false, 5, 3), 3);
  EXPECT_EQ(serve::parse_topk("10", true, 5, 1000), 10);
  EXPECT_EQ(serve::parse_topk("99", true, 5, 3), 3);
  expect_refused([] { serve::parse_topk("0", true, 5, 3); }, 400, "?topk");
  expect_refused([] { serve::parse_topk("two", true, 5, 3); }, 400, "got 'two'");
  expect_refused([] { serve::parse_topk("", true, 5, 3); }, 400, "?topk");
}

}  // namespace
}  // namespace tlab::test
