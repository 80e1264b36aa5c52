#pragma once
// ONNX from a traced model (export/tracer.h): our own rules from LibTorch operations to ONNX nodes
// (export/onnx_ops.h), serialised with the protobuf classes of Debian's libonnx-dev, checked with its
// checker and shape inference before anything is written.
#include <torch/script.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tlab::exporting {

inline constexpr int kMinOpset = 13;  // the oldest the rules write (Unsqueeze takes its axes as an input from 13)
inline constexpr int kDefaultOpset = kMinOpset;
inline constexpr int kMaxOpset = 17;  // what libonnx 1.12's checker knows

struct OnnxOptions {
  int opset = kDefaultOpset;                   // 13..17; HardSwish is a node from 14, x * HardSigmoid(x) before
  std::vector<int64_t> input_shape;            // [C, H, W] of one image; the batch axis is dynamic ("batch")
  std::string model_name;                      // for messages and the graph's name ("mobilenet_v2")
  std::map<std::string, std::string> metadata;  // stored as the model's metadata_props (classes, preprocess)
};

// The serialised ModelProto of `traced`'s forward: input "input" [batch, C, H, W] float32, output
// "logits" [batch, classes], parameters as initializers under their module paths. Throws UsageError
// naming the operation and the layer when something has no exact ONNX form.
std::string to_onnx(const torch::jit::Module& traced, const OnnxOptions& options);

// Throws UsageError naming --opset unless kMinOpset <= opset <= kMaxOpset.
void check_opset(int opset);

}  // namespace tlab::exporting
