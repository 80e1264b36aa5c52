#include "tlab/serve/request_parsing.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "tlab/core/error.h"
#include "tlab/data/decode.h"

namespace tlab::serve {
namespace {

constexpr const char* kPredictForms =
    "expected a raw image body (JPEG, PNG, GIF, BMP, WebP, TIFF or PNM), a multipart/form-data field "
    "'image' (one or more files), or JSON {\"instances\": [{\"b64\": \"<base64 image>\"}, ...]}";

// "Multipart/Form-Data; boundary=x" -> "multipart/form-data".
std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }), t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return t;
}

std::vector<EncodedImage> form_images(std::vector<FormPart>& parts) {
  std::vector<EncodedImage> images;
  std::string fields;
  for (auto& p : parts) {
    if (p.name != "image") {
      fields += (fields.empty() ? "'" : ", '") + p.name + "'";
      continue;
    }
    const std::string name = "image #" + std::to_string(images.size() + 1) + (p.filename.empty() ? "" : " (" + p.filename + ")");
    images.push_back({name, std::move(p.bytes)});
  }
  if (images.empty())
    throw RequestError(400, std::string("multipart body without a field 'image'") +
                                (fields.empty() ? "" : " (it has " + fields + ")") + ": " + kPredictForms);
  return images;
}

std::vector<EncodedImage> json_images(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError(400, std::string("the JSON body does not parse: ") + kPredictForms);
  const auto it = j.is_object() ? j.find("instances") : j.end();
  if (it == j.end() || !it->is_array() || it->empty())
    throw RequestError(400, std::string("JSON body without a non-empty \"instances\" list: ") + kPredictForms);
  std::vector<EncodedImage> images;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& inst = (*it)[i];
    const std::string what = "instances[" + std::to_string(i) + "]";
    const auto b64 = inst.is_object() ? inst.find("b64") : inst.end();
    if (b64 == inst.end() || !b64->is_string())
      throw RequestError(400, what + ": expected an object {\"b64\": \"<base64 image>\"}, got " +
                                  inst.dump().substr(0, 80));
    images.push_back({what, base64_decode(b64->get_ref<const std::string&>(), what)});
  }
  return images;
}

int base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

std::string base64_decode(const std::string& text, const std::string& what) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int v = base64_value(c);
    if (v < 0 || padding > 0)
      throw RequestError(400, what + ": not base64 (character " + std::to_string(i) + " is '" + std::string(1, char(c)) +
                                  "'); expected A-Z a-z 0-9 + / and = padding");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6 || padding > 2) throw RequestError(400, what + ": truncated base64 (its length is not a whole number of bytes)");
  return out;
}

std::vector<EncodedImage> predict_images(RequestBody body) {
  if (body.multipart) return form_images(body.parts);
  if (body.bytes.empty()) throw RequestError(400, std::string("empty body: ") + kPredictForms);
  if (media_type(body.content_type) == "application/json") return json_images(body.bytes);
  std::vector<EncodedImage> images;
  images.push_back({"body", std::move(body.bytes)});
  return images;
}

torch::Tensor decode_and_preprocess(const EncodedImage& image, const transforms::InputSpec& spec, int64_t max_pixels) {
  const auto* data = reinterpret_cast<const uint8_t*>(image.bytes.data());
  if (image.bytes.empty()) throw RequestError(400, image.name + ": empty (0 bytes): " + kPredictForms);
  const auto header = data::read_image_header(data, image.bytes.size());
  if (!header)
    throw RequestError(400, image.name + ": not an image this server reads (" + std::to_string(image.bytes.size()) +
                                " bytes without a JPEG, PNG, GIF, BMP, WebP, TIFF or PNM header, or a truncated one)");
  // By division: the product of two 32-bit sides may not fit an int64.
  if (header->width > 0 && header->height > max_pixels / header->width)
    throw RequestError(413, image.name + ": its " + data::format_name(header->format) + " header declares " +
                                std::to_string(header->width) + " x " + std::to_string(header->height) +
                                " pixels, over the server's limit of " + std::to_string(max_pixels) + " (--max-pixels)");
  cv::Mat decoded;
  try {
    decoded = data::decode_image(data, image.bytes.size(), image.name, data::DecodeOptions{spec.channels, 0, max_pixels});
  } catch (const DataError& e) {
    throw RequestError(400, e.what());
  }
  auto x = torch::empty({spec.channels, spec.height, spec.width});
  transforms::to_chw_float(decoded, spec, x.data_ptr<float>());
  return x;
}

namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

const nlohmann::json& the_input(const nlohmann::json& j) {
  if (!j.is_object()) throw RequestError(400, "expected a JSON object {\"inputs\": [{\"name\": \"input\", ...}]}");
  const auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->size() != 1 || !(*inputs)[0].is_object())
    throw RequestError(400, "\"inputs\": expected a list of one tensor {\"name\": \"input\", \"shape\": [N, C, H, W], "
                            "\"datatype\": \"FP32\", \"data\": [...]}");
  const auto& in = (*inputs)[0];
  const auto name = in.find("name");
  if (name == in.end() || !name->is_string() || *name != "input")
    throw RequestError(400, "inputs[0].name: expected \"input\", got " + (name == in.end() ? "nothing" : name->dump()));
  const auto type = in.find("datatype");
  if (type == in.end() || !type->is_string() || *type != "FP32")
    throw RequestError(400, "inputs[0].datatype: expected \"FP32\", got " + (type == in.end() ? "nothing" : type->dump()));
  return in;
}

std::vector<int64_t> checked_shape(const nlohmann::json& in, const transforms::InputSpec& spec) {
  const std::vector<int64_t> want = {spec.channels, spec.height, spec.width};
  const std::string expected = "expected [N, " + std::to_string(spec.channels) + ", " + std::to_string(spec.height) +
                               ", " + std::to_string(spec.width) + "] with N >= 1";
  const auto shape = in.find("shape");
  if (shape == in.end() || !shape->is_array() || shape->size() != 4 ||
      !std::all_of(shape->begin(), shape->end(), [](const auto& d) { return d.is_number_integer(); }))
    throw RequestError(400, "inputs[0].shape: " + expected + ", got " + (shape == in.end() ? "nothing" : shape->dump()));
  const auto s = shape->get<std::vector<int64_t>>();
  if (s[0] < 1 || !std::equal(want.begin(), want.end(), s.begin() + 1))
    throw RequestError(400, "inputs[0].shape: " + expected + ", got " + shape_text(s));
  return s;
}

std::vector<std::string> asked_outputs(const nlohmann::json& j) {
  const auto outputs = j.find("outputs");
  if (outputs == j.end()) return {"logits", "probabilities"};
  if (!outputs->is_array()) throw RequestError(400, "\"outputs\": expected a list like [{\"name\": \"probabilities\"}]");
  std::vector<std::string> names;
  for (const auto& o : *outputs) {
    const auto name = o.is_object() ? o.find("name") : o.end();
    if (name == o.end() || !name->is_string() || (*name != "logits" && *name != "probabilities"))
      throw RequestError(400, "\"outputs\": each is {\"name\": \"logits\"} or {\"name\": \"probabilities\"}, got " + o.dump());
    names.push_back(name->get<std::string>());
  }
  return names;
}

}  // namespace

InferRequest parse_infer_request(const std::string& body, const transforms::InputSpec& spec) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError(400, "the body is not JSON: expected {\"inputs\": [{\"name\": \"input\", ...}]}");
  const auto& in = the_input(j);
  const auto shape = checked_shape(in, spec);
  const int64_t count = shape[0] * shape[1] * shape[2] * shape[3];
  const auto data = in.find("data");
  if (data == in.end() || !data->is_array() || int64_t(data->size()) != count)
    throw RequestError(400, "inputs[0].data: expected a flat list of " + std::to_string(count) +
                                " numbers (N*C*H*W for shape " + shape_text(shape) + ", row-major), got " +
                                (data == in.end() ? "nothing" : data->is_array() ? std::to_string(data->size()) + " values"
                                                                                 : data->type_name()));
  InferRequest r;
  r.input = torch::empty(shape);
  float* out = r.input.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) {
    const auto& v = (*data)[size_t(i)];
    if (!v.is_number()) throw RequestError(400, "inputs[0].data[" + std::to_string(i) + "]: expected a number, got " + v.dump());
    out[i] = v.get<float>();
  }
  if (const auto id = j.find("id"); id != j.end()) {
    if (!id->is_string()) throw RequestError(400, "\"id\": expected a string, got " + id->dump());
    r.id = id->get<std::string>();
  }
  r.outputs = asked_outputs(j);
  return r;
}

int parse_topk(const std::string& value, bool present, int fallback, int classes) {
  if (!present) return std::min(fallback, classes);
  const bool digits = !value.empty() && value.size() <= 9 &&
                      std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!digits || std::stoi(value) < 1)
    throw RequestError(400, "?topk: expected a whole number of classes >= 1, got '" + value.substr(0, 40) + "'");
  return std::min(std::stoi(value), classes);
}

}  // namespace tlab::serve
