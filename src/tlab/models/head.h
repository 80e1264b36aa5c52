#pragma once
// A new classifier head on a backbone's features (models/transfer.h builds it): "gap" (the
// classic new Dense(num_classes) on pooled features), "gap,1024" (GAP -> Dense(1024) -> ReLU ->
// Dropout -> Dense(num_classes)) or "flatten,256" (Flatten of the last feature map -> Dense(256) -> ...).
#include <cstdint>
#include <string>
#include <vector>

namespace tlab::models {

struct HeadOptions {
  std::string pool = "gap";     // gap: the backbone's pooled features; flatten: its last feature map, flattened
  std::vector<int64_t> hidden;  // widths of hidden Dense layers (each followed by ReLU and Dropout)
  double dropout = 0.2;         // dropout after each hidden layer (training only)

  // "gap|flatten[,WIDTH...][,dropout=P]"; throws UsageError naming the bad part. The one parser
  // of a head spec: flags and stored configs become HeadOptions here, once.
  static HeadOptions parse(const std::string& spec);
  // The canonical spec, shortest form (",dropout=P" only when P is not the default):
  // parse(str()) == *this, and str() of parse("gap") is "gap".
  std::string str() const;
  bool operator==(const HeadOptions& o) const { return pool == o.pool && hidden == o.hidden && dropout == o.dropout; }
};

}  // namespace tlab::models
