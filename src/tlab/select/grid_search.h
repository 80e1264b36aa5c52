#pragma once
// Model selection (tlab select): every candidate of a grid cross-validated on the same folds, a
// leaderboard, and the best candidate (highest mean accuracy; ties: the first in grid order, as
// GridSearchCV's rank_test_score / best_index_) refit on all the training data as a normal run
// directory and evaluated once on the test split. OUT/leaderboard.json, OUT/best/ (the refit run).
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "tlab/select/cross_validate.h"
#include "tlab/select/grid.h"
#include "tlab/train/run.h"

namespace tlab::select {

struct SelectOptions {
  train::RunOptions base;  // shared by every candidate; base.system.out: the selection's directory
  std::string grid;        // --grid (select/grid.h)
  CvOptions cv;            // folds, repeats, shuffle, shared features
  bool refit = true;       // --refit: train the best candidate on all training data and test it
};

struct CandidateResult {
  Candidate candidate;
  CvResult cv;
  int rank = 0;  // 1: the best mean accuracy (equal means share a rank, as scipy's rankdata 'min')
};

struct SelectResult {
  std::vector<CandidateResult> candidates;  // grid order
  size_t best = 0;                          // index into candidates
  std::optional<train::RunResult> refit;    // the best candidate's run on all training data
  double seconds = 0, refit_seconds = 0;
  nlohmann::json leaderboard;               // what leaderboard.json holds
};

// `on_candidate(i, n, candidate)` before each candidate runs; `on_result` after its folds.
SelectResult run_selection(const SelectOptions& options,
                           const std::function<void(size_t, size_t, const Candidate&)>& on_candidate = {},
                           const std::function<void(const CandidateResult&)>& on_result = {},
                           const train::TrainCallbacks& callbacks = {});

// The leaderboard as a table: rank, candidate, accuracy and macro F1 (mean +- std), seconds.
std::string format_leaderboard(const SelectResult& result);

}  // namespace tlab::select
