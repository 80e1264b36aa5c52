// tlab: the TransferLab command line. Registers the commands (one file each), installs the log
// sink, and chooses exit codes by the kind of error: 0 ok, 2 a usage error (bad flags or options),
// 1 anything else (bad data or weight files, I/O, training failures).
#include <cstdio>
#include <vector>

#include "commands.h"
#include "progress.h"
#include "tlab/core/error.h"
#include "tlab/core/log.h"

int main(int argc, char** argv) {
  using namespace tlab;
  CLI::App cli{"TransferLab: train, evaluate and deploy image classifiers with deep and transfer learning"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("tlab ") + TLAB_VERSION);
  const std::vector<app::Command> commands = {app::add_train(cli),   app::add_compare(cli), app::add_cv(cli), app::add_select(cli), app::add_lr_find(cli), app::add_report(cli), app::add_eval(cli),
                                              app::add_predict(cli), app::add_summary(cli), app::add_models(cli),
                                              app::add_augment_preview(cli), app::add_hog_preview(cli), app::add_features(cli), app::add_export(cli),
                                              app::add_serve(cli)};
  // Library messages go to stderr, so stdout stays machine-readable (--json) and the report clean.
  set_log_sink([](LogLevel level, const std::string& msg) {
    app::clear_progress_line();  // a bar on the terminal line would run into the message
    std::fprintf(stderr, "%s%s\n", level == LogLevel::kWarning ? "warning: " : "", msg.c_str());
  });
  try {
    cli.parse(argc, argv);
    for (const auto& command : commands)
      if (command.cli->parsed()) return command.run();
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0; a flag CLI11 cannot parse is a usage error
  } catch (const std::invalid_argument& e) {  // UsageError, and the standard type of a caller's mistake
    std::fprintf(stderr, "\nerror: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nerror: %s\n", e.what());
    return 1;
  }
  return 0;
}
