#include "tlab/features/classical.h"

#include <set>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::features {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

// "kbest:K" -> K, naming `flag` when K is not a whole number.
int64_t whole_number(const std::string& text, const std::string& flag, const std::string& value) {
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  TLAB_CHECK(used == text.size() && !text.empty(), flag, ": expected a whole number after ':', got '", value, "'");
  return n;
}

}  // namespace

std::string Descriptor::str() const {
  if (kind != "deep") return kind;
  std::string s = "deep";
  if (!model.empty()) s += ":" + model;
  if (!stage.empty()) s += ":" + stage;
  return s;
}

std::vector<Descriptor> parse_descriptors(const std::string& features) {
  std::vector<Descriptor> out;
  std::set<std::string> seen;
  for (const std::string& item : split(features, '+')) {
    const auto fields = split(item, ':');
    Descriptor d;
    d.kind = fields.empty() ? "" : fields[0];
    if (d.kind == "deep") {
      TLAB_CHECK(fields.size() <= 3, "--features: expected deep[:MODEL[:STAGE]], got '", item, "'");
      if (fields.size() > 1) d.model = fields[1];
      if (fields.size() > 2) d.stage = fields[2];
      TLAB_CHECK(fields.size() < 3 || (!d.model.empty() && !d.stage.empty()),
                 "--features: expected deep[:MODEL[:STAGE]], got '", item, "'");
    } else {
      TLAB_CHECK(d.kind == "hog" || d.kind == "lbp" || d.kind == "sift-bow" || d.kind == "color-hist",
                 "--features: expected descriptors joined by '+' from hog, lbp, sift-bow, color-hist and "
                 "deep[:MODEL[:STAGE]], got '", item.empty() ? features : item, "'");
      TLAB_CHECK(fields.size() == 1, "--features: ", d.kind, " takes no ':' arguments (its options are flags), got '",
                 item, "'");
    }
    TLAB_CHECK(seen.insert(d.kind).second, "--features: '", d.kind, "' is listed twice in '", features, "'");
    out.push_back(d);
  }
  return out;
}

SelectStep parse_select(const std::string& select) {
  SelectStep s;
  const auto fields = split(select, ':');
  s.kind = fields.empty() ? "" : fields[0];
  if (s.kind == "none" && fields.size() == 1) return s;
  if (s.kind == "kbest" && fields.size() == 2) {
    s.k = whole_number(fields[1], "--select", select);
    TLAB_CHECK(s.k > 0, "--select kbest:K: K must be positive, got ", s.k);
    return s;
  }
  if (s.kind == "variance" && fields.size() <= 2) {
    if (fields.size() == 2) {
      try {
        size_t used = 0;
        s.threshold = std::stod(fields[1], &used);
        TLAB_CHECK(used == fields[1].size(), "");
      } catch (const std::exception&) {
        throw UsageError(str_cat("--select variance:T: expected a number T, got '", select, "'"));
      }
      TLAB_CHECK(s.threshold >= 0, "--select variance:T: T must be >= 0, got ", s.threshold);
    }
    return s;
  }
  throw UsageError(str_cat("--select: expected none, kbest:K or variance[:T], got '", select, "'"));
}

ReduceStep parse_reduce(const std::string& reduce) {
  ReduceStep r;
  const auto fields = split(reduce, ':');
  r.kind = fields.empty() ? "" : fields[0];
  if (r.kind == "none" && fields.size() == 1) return r;
  if ((r.kind == "pca" || r.kind == "pca-whiten") && fields.size() == 2) {
    r.whiten = r.kind == "pca-whiten";
    r.kind = "pca";
    r.components = whole_number(fields[1], "--reduce", reduce);
    TLAB_CHECK(r.components > 0, "--reduce pca:N: N must be positive, got ", r.components);
    return r;
  }
  throw UsageError(str_cat("--reduce: expected none, pca:N or pca-whiten:N, got '", reduce, "'"));
}

void validate(const ClassicalSpec& s) {
  for (const Descriptor& d : parse_descriptors(s.features)) {
    if (d.kind == "hog") validate(s.hog);
    if (d.kind == "lbp") validate(s.lbp);
    if (d.kind == "sift-bow") validate(s.sift);
    if (d.kind == "color-hist") validate(s.color);
  }
  parse_select(s.select);
  parse_reduce(s.reduce);
  TLAB_CHECK(s.classifier == "svm-linear" || s.classifier == "svm-rbf" || s.classifier == "knn" ||
                 s.classifier == "logistic",
             "--classifier: expected svm-linear, svm-rbf, knn or logistic, got '", s.classifier, "'");
  TLAB_CHECK(s.svm_c > 0, "--svm-c: expected a positive C, got ", s.svm_c);
  TLAB_CHECK(s.svm_dual == "auto" || s.svm_dual == "true" || s.svm_dual == "false",
             "--svm-dual: expected auto, true or false, got '", s.svm_dual, "'");
  TLAB_CHECK(s.svm_gamma >= 0, "--svm-gamma: expected a positive gamma (0: scikit-learn's \"scale\"), got ",
             s.svm_gamma);
  TLAB_CHECK(s.knn_k > 0, "--knn-k: expected a positive number of neighbours, got ", s.knn_k);
  TLAB_CHECK(s.logistic_c > 0, "--probe-c: expected a positive inverse regularisation strength, got ", s.logistic_c);
}

nlohmann::json to_json(const ClassicalSpec& spec) {
  nlohmann::json j = nlohmann::json::object();
  visit_classical_fields(spec, [&](const char* key, const auto& value) { j[key] = value; });
  return j;
}

ClassicalSpec classical_spec_from_json(const nlohmann::json& j, const std::string& file) {
  ClassicalSpec s;
  visit_classical_fields(s, [&](const char* key, auto& value) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(value);
    } catch (const nlohmann::json::exception& e) {
      throw WeightsError(str_cat("'", file, "': the classical pipeline's field '", key, "' has the wrong type (",
                                 e.what(), ")"));
    }
  });
  return s;
}

}  // namespace tlab::features
