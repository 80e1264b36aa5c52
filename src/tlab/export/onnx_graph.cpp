#include "tlab/export/onnx_graph.h"

#include <torch/csrc/jit/ir/constants.h>

#include <cstring>

#include "tlab/core/error.h"

namespace tlab::exporting {

OnnxGraph::OnnxGraph(onnx::GraphProto* graph, int opset, std::string model)
    : graph_(graph), opset_(opset), model_(std::move(model)) {}

const Operand& OnnxGraph::operand(const torch::jit::Value* v) const {
  auto it = values_.find(v);
  if (it != values_.end()) return it->second;
  // Constants need no node of their own: read them where they are used.
  auto* self = const_cast<OnnxGraph*>(this);
  if (auto c = torch::jit::toIValue(v)) {
    Operand o;
    o.kind = c->isNone() ? Operand::Kind::kNone : Operand::Kind::kConstant;
    o.value = *c;
    return self->values_[v] = o;
  }
  throw UsageError(str_cat("export ", model_, " to ONNX: the traced value %", v->debugName(),
                           " has no translation (internal error near layer '", layer_, "')"));
}

bool OnnxGraph::is_none(const torch::jit::Node& n, size_t i) const { return in(n, i).kind == Operand::Kind::kNone; }

std::string OnnxGraph::tensor(const torch::jit::Node& n, size_t i) {
  const Operand& o = in(n, i);
  if (o.kind == Operand::Kind::kTensor) return o.name;
  if (o.kind == Operand::Kind::kConstant && o.value.isTensor()) return initializer(o.value.toTensor());
  if (o.kind == Operand::Kind::kConstant && o.value.isDouble())
    return initializer(torch::tensor({float(o.value.toDouble())}).reshape({}));
  if (o.kind == Operand::Kind::kConstant && o.value.isInt())
    return initializer(torch::tensor({float(o.value.toInt())}).reshape({}));  // arithmetic on float tensors
  fail(n, str_cat("input ", i, " is not a tensor or a number"));
}

int64_t OnnxGraph::int_at(const torch::jit::Node& n, size_t i) const {
  const Operand& o = in(n, i);
  if (o.kind != Operand::Kind::kConstant || !o.value.isInt())
    fail(n, str_cat("input ", i, " must be an integer known when tracing"));
  return o.value.toInt();
}

double OnnxGraph::double_at(const torch::jit::Node& n, size_t i) const {
  const Operand& o = in(n, i);
  if (o.kind != Operand::Kind::kConstant || !(o.value.isDouble() || o.value.isInt()))
    fail(n, str_cat("input ", i, " must be a number known when tracing"));
  return o.value.isInt() ? double(o.value.toInt()) : o.value.toDouble();
}

bool OnnxGraph::bool_at(const torch::jit::Node& n, size_t i) const {
  const Operand& o = in(n, i);
  if (o.kind != Operand::Kind::kConstant || !o.value.isBool())
    fail(n, str_cat("input ", i, " must be a boolean known when tracing"));
  return o.value.toBool();
}

std::vector<int64_t> OnnxGraph::ints_at(const torch::jit::Node& n, size_t i) const {
  const Operand& o = in(n, i);
  if (o.kind == Operand::Kind::kConstant && o.value.isIntList()) return o.value.toIntVector();
  if (o.kind == Operand::Kind::kConstant && o.value.isInt()) return {o.value.toInt()};
  if (o.kind == Operand::Kind::kList) {
    std::vector<int64_t> out;
    for (const Operand& item : o.items) {
      if (item.kind != Operand::Kind::kConstant || !item.value.isInt())
        fail(n, str_cat("input ", i, " must be a list of integers known when tracing"));
      out.push_back(item.value.toInt());
    }
    return out;
  }
  fail(n, str_cat("input ", i, " must be a list of integers known when tracing"));
}

std::vector<int64_t> OnnxGraph::shape(const torch::jit::Value* v) const {
  if (auto type = v->type()->cast<c10::TensorType>())
    if (auto sizes = type->sizes().concrete_sizes()) return *sizes;
  // Parameters come from prim::GetAttr, whose type carries no sizes: their initializer knows.
  auto it = values_.find(v);
  if (it != values_.end() && it->second.kind == Operand::Kind::kTensor)
    if (auto init = initializers_.find(it->second.name); init != initializers_.end()) return init->second;
  return {};
}

void OnnxGraph::set(const torch::jit::Value* v, Operand operand) { values_[v] = std::move(operand); }

onnx::NodeProto& OnnxGraph::node(const std::string& op_type, const std::vector<std::string>& inputs,
                                 const torch::jit::Value* out) {
  onnx::NodeProto& n = *graph_->add_node();
  n.set_op_type(op_type);
  const std::string id = std::to_string(next_++);
  n.set_name(op_type + "_" + id);
  for (const auto& i : inputs) n.add_input(i);
  const std::string output = out ? "v" + out->debugName() + "_" + id : "t" + id;
  n.add_output(output);
  if (out) {
    Operand o;
    o.kind = Operand::Kind::kTensor;
    o.name = output;
    set(out, o);
  }
  return n;
}

std::string OnnxGraph::initializer(const at::Tensor& t, const std::string& name) {
  const std::string id = name.empty() ? "const_" + std::to_string(next_++) : name;
  if (initializers_.count(id)) return id;
  at::Tensor c = t.detach().to(torch::kCPU).contiguous();
  initializers_[id] = c.sizes().vec();
  onnx::TensorProto& p = *graph_->add_initializer();
  p.set_name(id);
  for (int64_t d : c.sizes()) p.add_dims(d);
  if (c.scalar_type() == torch::kLong) {
    p.set_data_type(onnx::TensorProto::INT64);
  } else {
    c = c.to(torch::kFloat);
    p.set_data_type(onnx::TensorProto::FLOAT);
  }
  p.set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));  // little-endian hosts
  return id;
}

std::string OnnxGraph::int64s(const std::vector<int64_t>& values) {
  return initializer(torch::tensor(values, torch::kLong));
}

void OnnxGraph::enter(const torch::jit::Node& n) {
  for (const torch::jit::Value* v : n.inputs()) {
    auto it = values_.find(v);
    if (it == values_.end() || it->second.kind != Operand::Kind::kTensor) continue;
    const std::string& name = it->second.name;
    if (initializers_.count(name) && name.find('.') != std::string::npos) {
      layer_ = name.substr(0, name.rfind('.'));
      return;
    }
  }
}

void OnnxGraph::fail(const torch::jit::Node& n, const std::string& why) const {
  throw UsageError(str_cat("export ", model_, " to ONNX: ", n.kind().toQualString(),
                           layer_.empty() ? std::string(" (before the first layer)") : " (at or after layer '" + layer_ + "')",
                           " cannot be exported: ", why));
}

void attr(onnx::NodeProto& node, const std::string& name, int64_t value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void attr(onnx::NodeProto& node, const std::string& name, float value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void attr(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

}  // namespace tlab::exporting
