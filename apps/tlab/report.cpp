// tlab report DIR: rebuilds report.html (and report/*.png) of a run, cv, select or compare directory.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "tlab/report/report.h"

namespace tlab::app {

Command add_report(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto o = std::make_shared<report::ReportOptions>();
  auto* c = app.add_subcommand("report", "write report.html for a run, cv, select or compare directory");
  c->add_option("dir", *dir, "the directory")->required();
  c->add_option("--top-losses", o->top_losses, "thumbnails of the highest-loss samples per split")
      ->capture_default_str();
  c->add_option("--gradcam", o->gradcam_images, "Grad-CAM overlays of validation images")->capture_default_str();
  c->add_option("--images", o->images, "top losses and Grad-CAM (read the data and the model)")->capture_default_str();
  c->add_option("--device", o->device, "where Grad-CAM runs: auto | cpu | cuda[:N]")->capture_default_str();
  return {c, [dir, o] {
            std::printf("%s\n", report::write_report(*dir, *o).c_str());
            return 0;
          }};
}

}  // namespace tlab::app
