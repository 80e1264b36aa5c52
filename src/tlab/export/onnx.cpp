#include "tlab/export/onnx.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "tlab/core/error.h"
#include "tlab/export/onnx_graph.h"
#include "tlab/export/onnx_ops.h"

namespace tlab::exporting {
namespace {

void set_shape(onnx::ValueInfoProto& info, const std::string& name, const std::vector<int64_t>& dims) {
  info.set_name(name);
  auto* tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

// libonnx's checker and shape inference: a graph they reject is our bug, reported as such.
void check(const onnx::ModelProto& model, const std::string& name) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::ShapeInferenceOptions strict{/*check_type=*/true, /*error_mode=*/1, /*enable_data_propagation=*/false};
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw UsageError(str_cat("export ", name, " to ONNX: the graph written fails ONNX's checker (a TransferLab bug; "
                             "please report it): ", e.what()));
  }
}

}  // namespace

void check_opset(int opset) {
  TLAB_CHECK(opset >= kMinOpset && opset <= kMaxOpset, "--opset: expected ", kMinOpset, " to ", kMaxOpset,
             ", got ", opset);
}

std::string to_onnx(const torch::jit::Module& traced, const OnnxOptions& options) {
  check_opset(options.opset);
  TLAB_CHECK(options.input_shape.size() == 3, "export to ONNX: the input shape must be [C, H, W]");
  auto graph = traced.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);

  onnx::ModelProto model;
  model.set_ir_version(options.opset <= 14 ? 7 : 8);
  model.set_producer_name("TransferLab");
  model.set_producer_version(TLAB_VERSION);
  model.set_doc_string("exported by tlab export from " + options.model_name);
  model.add_opset_import()->set_version(options.opset);
  for (const auto& [key, value] : options.metadata) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name(options.model_name);
  OnnxGraph onnx_graph(g, options.opset, options.model_name);
  TLAB_CHECK(graph->inputs().size() == 2, "export ", options.model_name, ": expected a forward of one input");
  Operand self;
  self.kind = Operand::Kind::kModule;
  self.value = traced._ivalue();
  onnx_graph.set(graph->inputs()[0], self);
  Operand input;
  input.kind = Operand::Kind::kTensor;
  input.name = "input";
  onnx_graph.set(graph->inputs()[1], input);
  set_shape(*g->add_input(), "input", options.input_shape);

  for (const torch::jit::Node* node : graph->nodes()) translate(*node, onnx_graph);

  TLAB_CHECK(graph->outputs().size() == 1, "export ", options.model_name, ": expected one output");
  const torch::jit::Value* out = graph->outputs()[0];
  const auto out_shape = onnx_graph.shape(out);
  TLAB_CHECK(out_shape.size() == 2, "export ", options.model_name, ": expected logits [N, classes], traced a ",
             out_shape.size(), "-D output");
  const Operand& result = onnx_graph.operand(out);
  TLAB_CHECK(result.kind == Operand::Kind::kTensor, "export ", options.model_name, ": the output is not a tensor");
  auto* last = g->add_node();  // names the output; a no-op for runtimes
  last->set_op_type("Identity");
  last->set_name("logits");
  last->add_input(result.name);
  last->add_output("logits");
  set_shape(*g->add_output(), "logits", {out_shape[1]});

  check(model, options.model_name);
  std::string bytes;
  TLAB_CHECK(model.SerializeToString(&bytes), "export ", options.model_name, ": protobuf serialisation failed");
  return bytes;
}

}  // namespace tlab::exporting
