#include "tlab/export/onnx_ops.h"

#include <functional>
#include <limits>
#include <map>

#include "tlab/core/error.h"

namespace tlab::exporting {
namespace {

using torch::jit::Node;
using Rule = std::function<void(const Node&, OnnxGraph&)>;

// ONNX pads: all begins, then all ends; LibTorch's padding is symmetric per spatial axis.
std::vector<int64_t> pads_of(std::vector<int64_t> padding, size_t spatial) {
  if (padding.size() == 1) padding.assign(spatial, padding[0]);
  std::vector<int64_t> pads = padding;
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

std::vector<int64_t> expand(std::vector<int64_t> v, size_t spatial) {
  if (v.size() == 1) v.assign(spatial, v[0]);
  return v;
}

bool all_equal(const std::vector<int64_t>& v, int64_t value) {
  for (int64_t x : v)
    if (x != value) return false;
  return true;
}

// aten::_convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, ...)
// and aten::conv2d(input, weight, bias, stride, padding, dilation, groups).
void convolution(const Node& n, OnnxGraph& g, bool underscore) {
  if (underscore && g.bool_at(n, 6)) g.fail(n, "transposed convolutions have no rule");
  if (!underscore && g.in(n, 4).kind == Operand::Kind::kConstant && g.in(n, 4).value.isString())
    g.fail(n, "padding='" + g.in(n, 4).value.toStringRef() + "' has no rule (give the padding as numbers)");
  const auto wshape = g.shape(n.inputs().at(1));
  if (wshape.size() != 4) g.fail(n, "only 2-D convolutions (a 4-D weight) have a rule");
  std::vector<std::string> inputs = {g.tensor(n, 0), g.tensor(n, 1)};
  if (!g.is_none(n, 2)) inputs.push_back(g.tensor(n, 2));
  auto& node = g.node("Conv", inputs, n.output());
  attr(node, "kernel_shape", std::vector<int64_t>{wshape[2], wshape[3]});
  attr(node, "strides", expand(g.ints_at(n, 3), 2));
  attr(node, "pads", pads_of(g.ints_at(n, 4), 2));
  attr(node, "dilations", expand(g.ints_at(n, 5), 2));
  attr(node, "group", g.int_at(n, underscore ? 8 : 6));
}

// aten::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
void batch_norm(const Node& n, OnnxGraph& g) {
  if (g.bool_at(n, 5)) g.fail(n, "batch statistics (training mode) have no rule: export runs the model in eval mode");
  if (g.is_none(n, 3)) g.fail(n, "BatchNorm without running statistics (track_running_stats=false) has no rule");
  const auto mean_shape = g.shape(n.inputs().at(3));
  const int64_t channels = mean_shape.empty() ? 0 : mean_shape[0];
  const std::string scale = g.is_none(n, 1) ? g.initializer(torch::ones({channels})) : g.tensor(n, 1);
  const std::string shift = g.is_none(n, 2) ? g.initializer(torch::zeros({channels})) : g.tensor(n, 2);
  auto& node = g.node("BatchNormalization", {g.tensor(n, 0), scale, shift, g.tensor(n, 3), g.tensor(n, 4)}, n.output());
  attr(node, "epsilon", float(g.double_at(n, 7)));
}

void unary(const Node& n, OnnxGraph& g, const std::string& op) { g.node(op, {g.tensor(n, 0)}, n.output()); }

void clip(const Node& n, OnnxGraph& g, float lo, float hi) {
  const std::string min = g.initializer(torch::tensor({lo}).reshape({}));
  const std::string max = g.initializer(torch::tensor({hi}).reshape({}));
  g.node("Clip", {g.tensor(n, 0), min, max}, n.output());
}

void hard_sigmoid(const Node& n, OnnxGraph& g) {
  auto& node = g.node("HardSigmoid", {g.tensor(n, 0)}, n.output());
  attr(node, "alpha", 1.0f / 6);
  attr(node, "beta", 0.5f);
}

// HardSwish is an ONNX operator from opset 14; before, x * HardSigmoid(x), its definition.
void hard_swish(const Node& n, OnnxGraph& g) {
  const std::string x = g.tensor(n, 0);
  if (g.opset() >= 14) {
    g.node("HardSwish", {x}, n.output());
    return;
  }
  auto& gate = g.node("HardSigmoid", {x});
  attr(gate, "alpha", 1.0f / 6);
  attr(gate, "beta", 0.5f);
  g.node("Mul", {x, gate.output(0)}, n.output());
}

void silu(const Node& n, OnnxGraph& g) {
  const std::string x = g.tensor(n, 0);
  const std::string gate = g.node("Sigmoid", {x}).output(0);
  g.node("Mul", {x, gate}, n.output());
}

// aten::add / aten::sub (a, b, alpha): alpha must be 1.
void add_sub(const Node& n, OnnxGraph& g, const std::string& op) {
  if (n.inputs().size() > 2 && g.double_at(n, 2) != 1.0) g.fail(n, "alpha other than 1 has no rule");
  g.node(op, {g.tensor(n, 0), g.tensor(n, 1)}, n.output());
}

void binary(const Node& n, OnnxGraph& g, const std::string& op) { g.node(op, {g.tensor(n, 0), g.tensor(n, 1)}, n.output()); }

// A pool node with the window of aten's (input, kernel_size, stride, padding, ...) arguments; an
// empty stride means the kernel's, as in LibTorch. `input` is the tensor pooled.
onnx::NodeProto& pool_node(const Node& n, OnnxGraph& g, const std::string& op, const std::string& input,
                           const std::vector<int64_t>& padding) {
  const auto kernel = expand(g.ints_at(n, 1), 2);
  const auto stride = g.ints_at(n, 2);
  auto& node = g.node(op, {input}, n.output());
  attr(node, "kernel_shape", kernel);
  attr(node, "strides", stride.empty() ? kernel : expand(stride, 2));
  attr(node, "pads", pads_of(padding, 2));
  return node;
}

// aten::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
void max_pool(const Node& n, OnnxGraph& g) {
  auto& node = pool_node(n, g, "MaxPool", g.tensor(n, 0), g.ints_at(n, 3));
  const auto dilation = expand(g.ints_at(n, 4), 2);
  if (!all_equal(dilation, 1)) attr(node, "dilations", dilation);
  attr(node, "ceil_mode", int64_t(g.bool_at(n, 5)));
}

// aten::avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
// Zero padding counted in the average (LibTorch's default, Inception's pools) is written as a Pad
// node before an unpadded pool: the same numbers, and OpenCV DNN 4.6 ignores count_include_pad.
void avg_pool(const Node& n, OnnxGraph& g) {
  if (n.inputs().size() > 6 && !g.is_none(n, 6)) g.fail(n, "divisor_override has no rule");
  const auto padding = expand(g.ints_at(n, 3), 2);
  const bool ceil_mode = g.bool_at(n, 4), count_pad = g.bool_at(n, 5);
  if (count_pad && !ceil_mode && !all_equal(padding, 0)) {
    const std::string pads = g.int64s({0, 0, padding[0], padding[1], 0, 0, padding[0], padding[1]});
    const std::string padded = g.node("Pad", {g.tensor(n, 0), pads}).output(0);
    attr(pool_node(n, g, "AveragePool", padded, {0, 0}), "ceil_mode", int64_t(0));
    return;
  }
  auto& node = pool_node(n, g, "AveragePool", g.tensor(n, 0), padding);
  attr(node, "ceil_mode", int64_t(ceil_mode));
  attr(node, "count_include_pad", int64_t(count_pad));
}

// aten::adaptive_{avg,max}_pool2d(input, output_size): global pooling for 1 x 1; a plain pool when
// the traced input size is a multiple of the output size (the windows are then exactly those);
// otherwise the windows overlap unevenly and no ONNX pool computes them.
void adaptive_pool(const Node& n, OnnxGraph& g, bool average) {
  const auto out = expand(g.ints_at(n, 1), 2);
  const auto in = g.shape(n.inputs().at(0));
  if (in.size() != 4) g.fail(n, "the input's traced shape is unknown");
  if (n.outputs().size() > 1 && n.outputs().at(1)->hasUses()) g.fail(n, "the pooling indices have no rule");
  const std::string x = g.tensor(n, 0);
  if (out[0] == 1 && out[1] == 1) {
    g.node(average ? "GlobalAveragePool" : "GlobalMaxPool", {x}, n.output(0));
    return;
  }
  if (in[2] % out[0] != 0 || in[3] % out[1] != 0)
    g.fail(n, str_cat("an adaptive pool from ", in[2], "x", in[3], " to ", out[0], "x", out[1],
                      " (sizes that do not divide) has no exact ONNX pool; export at an input size that divides"));
  if (in[2] == out[0] && in[3] == out[1]) {
    g.alias(n.output(0), n.inputs().at(0));
    return;
  }
  const std::vector<int64_t> window = {in[2] / out[0], in[3] / out[1]};
  auto& node = g.node(average ? "AveragePool" : "MaxPool", {x}, n.output(0));
  attr(node, "kernel_shape", window);
  attr(node, "strides", window);
}

// aten::mean(input, dims, keepdim, dtype)
void mean(const Node& n, OnnxGraph& g) {
  if (n.inputs().size() < 3) g.fail(n, "a mean over all elements has no rule");
  if (n.inputs().size() > 3 && !g.is_none(n, 3)) g.fail(n, "a dtype has no rule");
  auto& node = g.node("ReduceMean", {g.tensor(n, 0)}, n.output());
  attr(node, "axes", g.ints_at(n, 1));
  attr(node, "keepdims", int64_t(g.bool_at(n, 2)));
}

// aten::flatten(input, start_dim, end_dim): ONNX Flatten makes 2-D [prod(before), prod(rest)], which is
// torch.flatten(x, 1) exactly; other start dimensions keep the leading dimensions with Reshape(0, ..., -1).
void flatten(const Node& n, OnnxGraph& g) {
  const int64_t rank = int64_t(g.shape(n.inputs().at(0)).size());
  if (rank == 0) g.fail(n, "the input's traced rank is unknown");
  int64_t start = g.int_at(n, 1), end = g.int_at(n, 2);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  if (end != rank - 1) g.fail(n, "flattening up to a dimension before the last has no rule");
  if (start == 0) g.fail(n, "flattening the batch dimension has no rule");
  if (start == 1) {
    attr(g.node("Flatten", {g.tensor(n, 0)}, n.output()), "axis", int64_t(1));
    return;
  }
  std::vector<int64_t> shape(size_t(start), 0);
  shape.push_back(-1);
  g.node("Reshape", {g.tensor(n, 0), g.int64s(shape)}, n.output());
}

// aten::view / aten::reshape(input, sizes): constants, or run-time sizes of the input's own
// dimensions at their own place (ONNX Reshape's 0: copy that dimension).
void reshape(const Node& n, OnnxGraph& g) {
  const Operand& sizes = g.in(n, 1);
  const std::string x = g.tensor(n, 0);
  std::vector<int64_t> shape;
  if (sizes.kind == Operand::Kind::kList) {
    for (size_t i = 0; i < sizes.items.size(); ++i) {
      const Operand& s = sizes.items[i];
      if (s.kind == Operand::Kind::kDim && s.dim_of == x && s.dim == int64_t(i)) shape.push_back(0);
      else if (s.kind == Operand::Kind::kConstant && s.value.isInt() && s.value.toInt() != 0) shape.push_back(s.value.toInt());
      else g.fail(n, "a shape computed from other tensors' sizes has no rule");
    }
  } else {
    shape = g.ints_at(n, 1);
    if (!shape.empty() && shape[0] > 0) g.fail(n, "a shape with a fixed batch size would not take other batch sizes");
  }
  g.node("Reshape", {x, g.int64s(shape)}, n.output());
}

// aten::linear(input, weight, bias): Gemm with the weight transposed, for 2-D inputs.
void linear(const Node& n, OnnxGraph& g) {
  if (g.shape(n.inputs().at(0)).size() != 2) g.fail(n, "a linear layer on a non 2-D input has no rule");
  std::vector<std::string> inputs = {g.tensor(n, 0), g.tensor(n, 1)};
  if (!g.is_none(n, 2)) inputs.push_back(g.tensor(n, 2));
  attr(g.node("Gemm", inputs, n.output()), "transB", int64_t(1));
}

// aten::addmm(bias, input, weight_t, beta, alpha)
void addmm(const Node& n, OnnxGraph& g) {
  auto& node = g.node("Gemm", {g.tensor(n, 1), g.tensor(n, 2), g.tensor(n, 0)}, n.output());
  attr(node, "beta", float(g.double_at(n, 3)));
  attr(node, "alpha", float(g.double_at(n, 4)));
}

// Dropout in eval mode is the identity: no node.
void dropout(const Node& n, OnnxGraph& g) {
  if (g.bool_at(n, 2)) g.fail(n, "dropout in training mode has no rule: export runs the model in eval mode");
  g.alias(n.output(), n.inputs().at(0));
}

void concat(const Node& n, OnnxGraph& g) {
  const Operand& list = g.in(n, 0);
  if (list.kind != Operand::Kind::kList) g.fail(n, "the tensors to concatenate are not a list");
  std::vector<std::string> inputs;
  for (const Operand& item : list.items) {
    if (item.kind != Operand::Kind::kTensor) g.fail(n, "a non-tensor in the list to concatenate");
    inputs.push_back(item.name);
  }
  int64_t axis = g.int_at(n, 1);
  if (axis < 0) axis += int64_t(g.shape(n.output()).size());
  attr(g.node("Concat", inputs, n.output()), "axis", axis);
}

int64_t axis_of(const Node& n, OnnxGraph& g, size_t i, size_t rank) {
  int64_t axis = g.int_at(n, i);
  return axis < 0 ? axis + int64_t(rank) : axis;
}

// aten::select(input, dim, index): Gather with a scalar index drops the dimension, as select does.
void select(const Node& n, OnnxGraph& g) {
  const int64_t axis = axis_of(n, g, 1, g.shape(n.inputs().at(0)).size());
  const std::string index = g.initializer(torch::tensor(g.int_at(n, 2), torch::kLong).reshape({}));
  attr(g.node("Gather", {g.tensor(n, 0), index}, n.output()), "axis", axis);
}

// aten::slice(input, dim, start, end, step) and aten::narrow(input, dim, start, length).
void slice(const Node& n, OnnxGraph& g, bool narrow) {
  const int64_t axis = axis_of(n, g, 1, g.shape(n.inputs().at(0)).size());
  const int64_t start = g.is_none(n, 2) ? 0 : g.int_at(n, 2);
  int64_t end = std::numeric_limits<int64_t>::max();
  if (narrow) end = start + g.int_at(n, 3);
  else if (!g.is_none(n, 3)) end = g.int_at(n, 3);
  const int64_t step = narrow ? 1 : g.int_at(n, 4);
  g.node("Slice", {g.tensor(n, 0), g.int64s({start}), g.int64s({end}), g.int64s({axis}), g.int64s({step})}, n.output());
}

void unsqueeze(const Node& n, OnnxGraph& g) {
  const int64_t axis = axis_of(n, g, 1, g.shape(n.inputs().at(0)).size() + 1);
  g.node("Unsqueeze", {g.tensor(n, 0), g.int64s({axis})}, n.output());
}

void softmax(const Node& n, OnnxGraph& g, const std::string& op) {
  if (n.inputs().size() > 2 && !g.is_none(n, 2)) g.fail(n, "a dtype has no rule");
  const int64_t axis = axis_of(n, g, 1, g.shape(n.inputs().at(0)).size());
  attr(g.node(op, {g.tensor(n, 0)}, n.output()), "axis", axis);
}

// Values that are not tensors: submodules and their attributes, lists, run-time sizes.
void get_attr(const Node& n, OnnxGraph& g) {
  const Operand& self = g.in(n, 0);
  const std::string field = n.s(torch::jit::attr::name);
  const c10::IValue value = self.value.toObject()->getAttr(field);
  Operand o;
  o.name = self.name.empty() ? field : self.name + "." + field;
  if (value.isTensor()) {
    o.kind = Operand::Kind::kTensor;
    o.name = g.initializer(value.toTensor(), o.name);  // torchvision's name: "features.0.0.weight"
  } else if (value.isObject()) {
    o.kind = Operand::Kind::kModule;
    o.value = value;
  } else {
    o.kind = Operand::Kind::kConstant;
    o.value = value;
  }
  g.set(n.output(), o);
}

void list_construct(const Node& n, OnnxGraph& g) {
  Operand o;
  o.kind = Operand::Kind::kList;
  for (size_t i = 0; i < n.inputs().size(); ++i) o.items.push_back(g.in(n, i));
  g.set(n.output(), o);
}

void size(const Node& n, OnnxGraph& g) {
  if (n.inputs().size() != 2) g.fail(n, "the whole size list has no rule");
  Operand o;
  o.kind = Operand::Kind::kDim;
  o.dim_of = g.tensor(n, 0);
  o.dim = axis_of(n, g, 1, g.shape(n.inputs().at(0)).size());
  g.set(n.output(), o);
}

void identity(const Node& n, OnnxGraph& g) { g.alias(n.output(), n.inputs().at(0)); }

const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    t["aten::_convolution"] = [](const Node& n, OnnxGraph& g) { convolution(n, g, true); };
    t["aten::conv2d"] = [](const Node& n, OnnxGraph& g) { convolution(n, g, false); };
    t["aten::batch_norm"] = batch_norm;
    for (const char* k : {"aten::relu", "aten::relu_"}) t[k] = [](const Node& n, OnnxGraph& g) { unary(n, g, "Relu"); };
    for (const char* k : {"aten::sigmoid", "aten::sigmoid_"})
      t[k] = [](const Node& n, OnnxGraph& g) { unary(n, g, "Sigmoid"); };
    for (const char* k : {"aten::tanh", "aten::tanh_"}) t[k] = [](const Node& n, OnnxGraph& g) { unary(n, g, "Tanh"); };
    for (const char* k : {"aten::hardtanh", "aten::hardtanh_"})
      t[k] = [](const Node& n, OnnxGraph& g) { clip(n, g, float(g.double_at(n, 1)), float(g.double_at(n, 2))); };
    for (const char* k : {"aten::relu6", "aten::relu6_"}) t[k] = [](const Node& n, OnnxGraph& g) { clip(n, g, 0, 6); };
    for (const char* k : {"aten::hardsigmoid", "aten::hardsigmoid_"}) t[k] = hard_sigmoid;
    for (const char* k : {"aten::hardswish", "aten::hardswish_"}) t[k] = hard_swish;
    for (const char* k : {"aten::silu", "aten::silu_"}) t[k] = silu;
    for (const char* k : {"aten::leaky_relu", "aten::leaky_relu_"})
      t[k] = [](const Node& n, OnnxGraph& g) {
        attr(g.node("LeakyRelu", {g.tensor(n, 0)}, n.output()), "alpha", float(g.double_at(n, 1)));
      };
    for (const char* k : {"aten::add", "aten::add_"}) t[k] = [](const Node& n, OnnxGraph& g) { add_sub(n, g, "Add"); };
    for (const char* k : {"aten::sub", "aten::sub_"}) t[k] = [](const Node& n, OnnxGraph& g) { add_sub(n, g, "Sub"); };
    for (const char* k : {"aten::mul", "aten::mul_"}) t[k] = [](const Node& n, OnnxGraph& g) { binary(n, g, "Mul"); };
    for (const char* k : {"aten::div", "aten::div_"})
      t[k] = [](const Node& n, OnnxGraph& g) {
        if (n.inputs().size() > 2 && !g.is_none(n, 2)) g.fail(n, "a rounding mode has no rule");
        binary(n, g, "Div");
      };
    t["aten::matmul"] = [](const Node& n, OnnxGraph& g) { binary(n, g, "MatMul"); };
    t["aten::max_pool2d"] = max_pool;
    t["aten::avg_pool2d"] = avg_pool;
    t["aten::adaptive_avg_pool2d"] = [](const Node& n, OnnxGraph& g) { adaptive_pool(n, g, true); };
    t["aten::adaptive_max_pool2d"] = [](const Node& n, OnnxGraph& g) { adaptive_pool(n, g, false); };
    t["aten::mean"] = mean;
    t["aten::flatten"] = flatten;
    for (const char* k : {"aten::view", "aten::reshape"}) t[k] = reshape;
    t["aten::linear"] = linear;
    t["aten::addmm"] = addmm;
    t["aten::t"] = [](const Node& n, OnnxGraph& g) { g.node("Transpose", {g.tensor(n, 0)}, n.output()); };
    for (const char* k : {"aten::dropout", "aten::dropout_", "aten::feature_dropout", "aten::feature_dropout_",
                          "aten::alpha_dropout", "aten::alpha_dropout_"})
      t[k] = dropout;
    t["aten::cat"] = concat;
    t["aten::select"] = select;
    t["aten::slice"] = [](const Node& n, OnnxGraph& g) { slice(n, g, false); };
    t["aten::narrow"] = [](const Node& n, OnnxGraph& g) { slice(n, g, true); };
    t["aten::unsqueeze"] = unsqueeze;
    t["aten::softmax"] = [](const Node& n, OnnxGraph& g) { softmax(n, g, "Softmax"); };
    t["aten::log_softmax"] = [](const Node& n, OnnxGraph& g) { softmax(n, g, "LogSoftmax"); };
    for (const char* k : {"aten::contiguous", "aten::detach", "aten::clone", "prim::NumToTensor", "aten::Int"})
      t[k] = identity;
    t["aten::size"] = size;
    t["prim::GetAttr"] = get_attr;
    t["prim::ListConstruct"] = list_construct;
    t["prim::Constant"] = [](const Node&, OnnxGraph&) {};  // read where used
    return t;
  }();
  return table;
}

}  // namespace

void translate(const Node& node, OnnxGraph& graph) {
  const auto& table = rules();
  auto it = table.find(node.kind().toQualString());
  if (it == table.end()) graph.fail(node, "no ONNX rule for this operation");
  graph.enter(node);
  it->second(node, graph);
}

std::vector<std::string> translatable_operations() {
  std::vector<std::string> names;
  for (const auto& [name, rule] : rules()) names.push_back(name);
  return names;
}

}  // namespace tlab::exporting
