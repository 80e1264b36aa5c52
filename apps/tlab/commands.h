#pragma once
// The commands of the tlab CLI, one file each. Each adds its subcommand and flags to the app and
// returns what runs it when the command line chose it; main.cpp registers them and maps the
// library's exception kinds to exit codes.
#include <CLI/CLI.hpp>

#include <functional>

namespace tlab::app {

struct Command {
  CLI::App* cli = nullptr;   // the subcommand, for CLI::App::parsed()
  std::function<int()> run;  // returns the exit code
};

Command add_train(CLI::App& app);            // train.cpp
Command add_compare(CLI::App& app);          // compare.cpp
Command add_cv(CLI::App& app);               // cv.cpp
Command add_select(CLI::App& app);           // select.cpp
Command add_lr_find(CLI::App& app);          // lr_find.cpp
Command add_report(CLI::App& app);           // report.cpp
Command add_eval(CLI::App& app);             // eval.cpp
Command add_predict(CLI::App& app);          // predict.cpp
Command add_summary(CLI::App& app);          // summary.cpp
Command add_models(CLI::App& app);           // models.cpp
Command add_augment_preview(CLI::App& app);  // augment_preview.cpp
Command add_hog_preview(CLI::App& app);      // hog_preview.cpp
Command add_features(CLI::App& app);         // features.cpp
Command add_export(CLI::App& app);           // export.cpp
Command add_serve(CLI::App& app);            // serve.cpp

}  // namespace tlab::app
