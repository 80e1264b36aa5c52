#pragma once
// The rules that turn each traced LibTorch operation (aten::conv2d, aten::batch_norm, ...) into ONNX
// nodes. An operation without a rule, or with arguments a rule cannot express exactly (a dropout
// still in training mode, an adaptive pool to a size that does not divide its input), is an error
// naming the operation and the layer, never an approximation.
#include <string>
#include <vector>

#include "tlab/export/onnx_graph.h"

namespace tlab::exporting {

// Translates one node of a traced forward graph, in graph order.
void translate(const torch::jit::Node& node, OnnxGraph& graph);

// The traced operations that have a rule ("aten::conv2d", ...), sorted: for documentation and messages.
std::vector<std::string> translatable_operations();

}  // namespace tlab::exporting
