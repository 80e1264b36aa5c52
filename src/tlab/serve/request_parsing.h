#pragma once
// Request bodies -> model inputs, with the limits checked on the way. What /v1/predict accepts
// (one or several images per request):
//   - a raw image body (JPEG, PNG, GIF, BMP, WebP, TIFF, PNM), any Content-Type but the two below;
//   - multipart/form-data with one or more files in fields named "image";
//   - application/json {"instances": [{"b64": "<base64 of an image file>"}, ...]}.
// What /v2/models/{name}/infer accepts (KServe v2 / Open Inference Protocol, JSON):
//   {"id": "...", "inputs": [{"name": "input", "shape": [N, C, H, W], "datatype": "FP32",
//    "data": [N*C*H*W numbers, row-major]}], "outputs": [{"name": "logits"}, ...]}
// an already preprocessed batch. Every refusal is a RequestError carrying its HTTP status and a
// message that says what was expected.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tlab/transforms/preprocess.h"

namespace tlab::serve {

// A request the server refuses: the HTTP status to answer and why (sent as {"error": message}).
class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// One part of a multipart/form-data body.
struct FormPart {
  std::string name;          // the form field
  std::string filename;      // as the client sent it; may be empty
  std::string content_type;  // of the part
  std::string bytes;
};

// A request body as read off the connection (un-chunked and decompressed, within the size limit).
struct RequestBody {
  std::string content_type;     // the Content-Type header as sent
  std::string bytes;            // the body, when not multipart
  bool multipart = false;       // multipart/form-data: the body is in `parts`
  std::vector<FormPart> parts;  // in order
};

// One encoded image of a request and what names it in messages ("body", "image #2", "instances[1]").
struct EncodedImage {
  std::string name;
  std::string bytes;
};

// The images of a /v1/predict body (see the top of this file). Throws RequestError 400 for an empty
// body, a multipart body without an "image" field, JSON that is not {"instances": [{"b64": ...}]},
// or bad base64.
std::vector<EncodedImage> predict_images(RequestBody body);

// Decodes `image` and preprocesses it for `spec` into a [C, H, W] float tensor. Throws RequestError
// 413 when its header declares more than `max_pixels` pixels (before decoding anything), 400 when
// it is not an image of a format read here or does not decode.
torch::Tensor decode_and_preprocess(const EncodedImage& image, const transforms::InputSpec& spec, int64_t max_pixels);

// A parsed /v2/models/{name}/infer request.
struct InferRequest {
  std::string id;                    // echoed in the response when given
  torch::Tensor input;               // [N, C, H, W] float32
  std::vector<std::string> outputs;  // the outputs asked for, in order: "logits", "probabilities"
};

// Parses and checks a v2 infer body against the model's input `spec` ([N, spec.channels,
// spec.height, spec.width], FP32, N*C*H*W numbers). Throws RequestError 400 saying what was expected.
InferRequest parse_infer_request(const std::string& body, const transforms::InputSpec& spec);

// ?topk=K: `fallback` when absent; K in [1, ...] capped at `classes`. Throws RequestError 400 otherwise.
int parse_topk(const std::string& value, bool present, int fallback, int classes);

// Standard base64 (RFC 4648, '+' '/', '=' padding optional, whitespace ignored; the URL-safe
// alphabet '-' '_' accepted too). Throws RequestError 400 naming `what` for other characters.
std::string base64_decode(const std::string& text, const std::string& what);

}  // namespace tlab::serve
