// The report of a short real run, and of a cross-validation, opened in headless Chromium
// (tests/js/report_page.js): no console errors, no request leaves the file, every image decodes;
// the screenshots are left in the build folder (report_page.png, cv_report_page.png) to look at.
#include <fstream>

#include "../test_util.h"
#include "../train/fixtures.h"
#include "tlab/core/error.h"
#include "tlab/report/report.h"
#include "tlab/train/run.h"

namespace tlab::test {
namespace {

// Runs the browser check on `html`; returns its JSON summary line (empty on failure, with the output).
std::string browser_check(const std::string& html, const std::string& screenshot, int min_figures, std::string* log) {
  const std::string out = screenshot + ".log";
  const int rc = run_command("/usr/bin/node " + std::string(TLAB_SOURCE_DIR) + "/tests/js/report_page.js " + html + " " +
                             screenshot + " " + std::to_string(min_figures) + " > " + out + " 2>&1");
  *log = read_text(out);
  return rc == 0 ? *log : std::string();
}

TEST(ReportPage, ARunsReportOpensCleanlyInChromium) {
  TempDir dir;
  write_bar_dataset(dir.str("data"), 150, 60);
  train::RunOptions o = bar_run(dir.str("data"), dir.str("run"), 3);
  o.data.val_split = 0.2;
  train::run_training(o);
  const std::string html = report::write_report(dir.str("run"));
  const std::string page = read_text(html);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  for (const char* section : {"Training", "Evaluation on test", "Evaluation on val", "Most confused pairs", "Top losses",
                              "Grad-CAM", "Configuration"})
    EXPECT_NE(page.find(section), std::string::npos) << section;
  for (const char* png : {"loss", "accuracy", "lr", "test_confusion", "test_confusion_normalised", "test_per_class",
                          "test_reliability", "test_roc", "val_roc"})
    EXPECT_TRUE(fs::is_regular_file(dir.path() / "run" / "report" / (std::string(png) + ".png"))) << png;

  const std::string screenshot = (fs::path(TLAB_CLI_PATH).parent_path() / "report_page.png").string();
  fs::remove(screenshot);
  std::string log;
  EXPECT_NE(browser_check(html, screenshot, 12, &log), "") << log;
  EXPECT_TRUE(fs::is_regular_file(screenshot)) << log;
  std::cout << log;
}

TEST(ReportPage, ACrossValidationsReportOpensCleanlyInChromium) {
  TempDir dir;
  write_bar_dataset(dir.str("data"), 90, 30);
  ASSERT_EQ(run_command(std::string(TLAB_CLI_PATH) + " cv --data idx:" + dir.str("data") +
                        " --epochs 1 --batch-size 16 --workers 0 --folds 3 --out " + dir.str("cv") + " > " +
                        dir.str("cv.log") + " 2>&1"),
            0)
      << read_text(dir.str("cv.log"));
  ASSERT_TRUE(fs::is_regular_file(dir.str("cv/report.html"))) << read_text(dir.str("cv.log"));
  const std::string screenshot = (fs::path(TLAB_CLI_PATH).parent_path() / "cv_report_page.png").string();
  std::string log;
  EXPECT_NE(browser_check(dir.str("cv/report.html"), screenshot, 1, &log), "") << log;
}

TEST(ReportPage, ADirectoryWithoutARunOrABrokenFileIsAClearError) {
  TempDir dir;
  try {
    report::write_report(dir.str());
    ADD_FAILURE() << "no error for an empty directory";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a run directory (config.json)"), std::string::npos) << e.what();
  }
  write_bytes(dir.str("cv.json"), "{\"folds\": [");  // cut short
  try {
    report::write_report(dir.str());
    ADD_FAILURE() << "no error for a truncated cv.json";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cv.json' is not valid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlab::test
