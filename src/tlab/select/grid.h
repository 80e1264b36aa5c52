#pragma once
// A grid of candidates (tlab select --grid): "KEY=V1,V2;KEY=V1,...". A key names a run option as
// the run's config does (model, strategy, weights, head, image_size, epochs, batch_size, probe_c,
// label_smoothing, augment, ...; a dash may stand for the underscore), plus lr, optimizer,
// momentum, weight_decay, schedule and warmup_epochs for the optimizer's and schedule's fields.
// Candidates come in scikit-learn's ParameterGrid order: keys sorted, the last key varying fastest.
// Several grids joined by '|' are expanded one after the other (ParameterGrid's list of dicts), e.g.
// to pair each model with its weights file: "model=mobilenet_v2;weights=A.pth|model=squeezenet1_0;weights=B.pth".
#include <string>
#include <utility>
#include <vector>

#include "tlab/train/options.h"

namespace tlab::select {

struct Candidate {
  std::vector<std::pair<std::string, std::string>> params;  // key -> value, keys sorted
  train::RunOptions options;                                // the base options with these values
  std::string name() const;                                 // "lr=0.001 model=mobilenet_v2 strategy=linear-probe"
};

// Throws UsageError naming --grid for a malformed grid, an unknown key, a repeated key, or a value
// of the wrong type.
std::vector<Candidate> expand_grid(const std::string& grid, const train::RunOptions& base);

}  // namespace tlab::select
