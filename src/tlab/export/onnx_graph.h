#pragma once
// The state of one traced graph -> ONNX translation: what each traced value stands for (an ONNX
// tensor, a constant, a submodule, a run-time size), the nodes and initializers written so far, and
// the layer being translated (for error messages). onnx_ops.cpp holds the per-operation rules.
#include <onnx/onnx_pb.h>
#include <torch/script.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tlab::exporting {

// What a traced value is while the graph is translated.
struct Operand {
  enum class Kind { kNone, kTensor, kConstant, kModule, kDim, kList };
  Kind kind = Kind::kNone;
  std::string name;            // kTensor: the ONNX value name; kModule: its dotted path ("features.3")
  c10::IValue value;           // kConstant: the value; kModule: the module object
  std::vector<Operand> items;  // kList: the elements
  std::string dim_of;          // kDim: a run-time size, dimension `dim` of the ONNX tensor `dim_of`
  int64_t dim = 0;
};

class OnnxGraph {
 public:
  // `graph` receives the nodes and initializers; `model` names the model in messages.
  OnnxGraph(onnx::GraphProto* graph, int opset, std::string model);

  int opset() const { return opset_; }

  // --- reading a traced node's inputs ---
  const Operand& operand(const torch::jit::Value* v) const;
  const Operand& in(const torch::jit::Node& n, size_t i) const { return operand(n.inputs().at(i)); }
  bool is_none(const torch::jit::Node& n, size_t i) const;
  // Input i as an ONNX tensor name: a tensor, or a numeric constant made an initializer.
  std::string tensor(const torch::jit::Node& n, size_t i);
  int64_t int_at(const torch::jit::Node& n, size_t i) const;
  double double_at(const torch::jit::Node& n, size_t i) const;
  bool bool_at(const torch::jit::Node& n, size_t i) const;
  std::vector<int64_t> ints_at(const torch::jit::Node& n, size_t i) const;
  // The traced (example) shape of a value (a parameter's own shape); dimension 0 of activations is the
  // batch, dynamic in the file. Empty when unknown.
  std::vector<int64_t> shape(const torch::jit::Value* v) const;

  // --- writing ---
  void set(const torch::jit::Value* v, Operand operand);
  void alias(const torch::jit::Value* out, const torch::jit::Value* in) { set(out, operand(in)); }
  // A node `op_type` with `inputs`; its one output becomes the ONNX tensor of `out` (nullptr: a fresh
  // intermediate). Returns the node for its attributes; output(0) is its name.
  onnx::NodeProto& node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const torch::jit::Value* out = nullptr);
  // A tensor as an initializer (float32 or int64), named `name` when given (a parameter's path) or
  // fresh; each parameter is written once.
  std::string initializer(const at::Tensor& t, const std::string& name = "");
  std::string int64s(const std::vector<int64_t>& values);  // a 1-D int64 initializer (shapes, axes)

  // --- messages ---
  void enter(const torch::jit::Node& n);  // notes the layer (the module whose parameters n reads)
  [[noreturn]] void fail(const torch::jit::Node& n, const std::string& why) const;

 private:
  onnx::GraphProto* graph_;
  int opset_;
  std::string model_;
  std::unordered_map<const torch::jit::Value*, Operand> values_;
  std::unordered_map<std::string, std::vector<int64_t>> initializers_;  // name -> shape
  std::string layer_;  // the last layer seen, "features.3.conv.0"
  int64_t next_ = 0;
};

// Helpers for node attributes.
void attr(onnx::NodeProto& node, const std::string& name, int64_t value);
void attr(onnx::NodeProto& node, const std::string& name, float value);
void attr(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values);

}  // namespace tlab::exporting
