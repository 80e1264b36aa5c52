#pragma once
// The strategies, one file each; make_strategy (train/strategy.cpp) names them.
#include <memory>

#include "tlab/train/strategy.h"

namespace tlab::train {

std::unique_ptr<Strategy> scratch_strategy();          // strategies/scratch.cpp
std::unique_ptr<Strategy> linear_probe_strategy();     // strategies/linear_probe.cpp
std::unique_ptr<Strategy> feature_extract_strategy();  // strategies/feature_extract.cpp
std::unique_ptr<Strategy> fine_tune_strategy();        // strategies/fine_tune.cpp
std::unique_ptr<Strategy> distill_strategy();          // strategies/distill.cpp
std::unique_ptr<Strategy> classical_strategy();        // strategies/classical.cpp

}  // namespace tlab::train
