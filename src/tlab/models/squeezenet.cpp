#include "tlab/models/squeezenet.h"

namespace tlab::models {

void register_squeezenet(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
