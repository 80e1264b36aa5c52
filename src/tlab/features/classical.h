#pragma once
// A classical pipeline's recipe (--strategy classical, tlab features): which descriptors an image
// gives, how the vectors are selected, standardised and reduced, and which classifier reads them.
// features/classical_model.h fits it; this file only names, checks and records it.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tlab/features/color_hist.h"
#include "tlab/features/hog.h"
#include "tlab/features/lbp.h"
#include "tlab/features/sift_bow.h"

namespace tlab::features {

// The model name of a classical pipeline: a run's --model and its checkpoints' meta "model".
inline constexpr const char* kClassicalModelName = "classical";

// One descriptor of the --features list.
struct Descriptor {
  std::string kind;   // hog | lbp | sift-bow | color-hist | deep
  std::string model;  // deep: the zoo architecture (its weights come with --weights)
  std::string stage;  // deep: a stage as tlab summary names it ("features.13", "layer3"); empty: the last, pooled
  std::string str() const;  // as written: "hog", "deep:resnet18:layer3"
};

// "hog+color-hist", "deep:mobilenet_v2:features.13": descriptors joined by '+', their vectors
// concatenated in that order. Throws UsageError naming --features.
std::vector<Descriptor> parse_descriptors(const std::string& features);

struct ClassicalSpec {
  std::string features = "hog";  // --features: hog | lbp | sift-bow | color-hist | deep[:MODEL[:STAGE]], joined by '+'
  HogOptions hog;
  LbpOptions lbp;
  SiftBowOptions sift;
  ColorHistOptions color;
  // Applied in this order, each fitted on the training split only:
  std::string select = "none";   // --select none | kbest:K (SelectKBest(f_classif)) | variance[:T] (VarianceThreshold)
  bool standardize = true;       // --standardize: StandardScaler after the selection
  std::string reduce = "none";   // --reduce none | pca:N | pca-whiten:N
  std::string classifier = "svm-linear";  // --classifier svm-linear | svm-rbf | knn | logistic
  double svm_c = 1.0;            // --svm-c: the SVMs' C (> 0)
  std::string svm_dual = "auto";  // --svm-dual auto|true|false: svm-linear's solver (features/linear_svm.h)
  double svm_gamma = 0;          // --svm-gamma: svm-rbf's gamma (> 0); 0: scikit-learn's "scale", 1 / (D var(X))
  int knn_k = 5;                 // --knn-k: neighbours that vote (> 0)
  double logistic_c = 1.0;       // logistic's C (the run's --probe-c)
};

// Checks every field; throws UsageError naming the flag.
void validate(const ClassicalSpec& spec);

// The parsed --select / --reduce values.
struct SelectStep {
  std::string kind;  // none | kbest | variance
  int64_t k = 0;     // kbest
  double threshold = 0;  // variance
};
SelectStep parse_select(const std::string& select);
struct ReduceStep {
  std::string kind;  // none | pca
  int64_t components = 0;
  bool whiten = false;
};
ReduceStep parse_reduce(const std::string& reduce);

// Every field with its key in the JSON form (the flag's name with '_'), in one list that both
// directions walk, so a key and its field cannot disagree; the run's config reuses it.
template <typename Spec, typename Visit>
void visit_classical_fields(Spec& s, Visit&& field) {
  field("features", s.features);
  field("hog_orientations", s.hog.orientations);
  field("hog_cell", s.hog.pixels_per_cell);
  field("hog_cell_cols", s.hog.pixels_per_cell_cols);
  field("hog_block", s.hog.cells_per_block);
  field("hog_block_cols", s.hog.cells_per_block_cols);
  field("hog_norm", s.hog.block_norm);
  field("hog_sqrt", s.hog.transform_sqrt);
  field("lbp_points", s.lbp.points);
  field("lbp_radius", s.lbp.radius);
  field("lbp_method", s.lbp.method);
  field("sift_words", s.sift.words);
  field("sift_dense", s.sift.dense_step);
  field("sift_max_keypoints", s.sift.max_keypoints);
  field("sift_max_fit_descriptors", s.sift.max_fit_descriptors);
  field("sift_kmeans_attempts", s.sift.kmeans_attempts);
  field("sift_seed", s.sift.seed);
  field("color_bins", s.color.bins);
  field("color_space", s.color.space);
  field("select", s.select);
  field("standardize", s.standardize);
  field("reduce", s.reduce);
  field("classifier", s.classifier);
  field("svm_c", s.svm_c);
  field("svm_dual", s.svm_dual);
  field("svm_gamma", s.svm_gamma);
  field("knn_k", s.knn_k);
  field("logistic_c", s.logistic_c);
}


// The recipe as JSON (every descriptor's options too), and back; a missing key keeps the default,
// a wrong type is a WeightsError naming `file`.
nlohmann::json to_json(const ClassicalSpec& spec);
ClassicalSpec classical_spec_from_json(const nlohmann::json& json, const std::string& file);

}  // namespace tlab::features
