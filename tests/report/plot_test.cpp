// The report's drawing layer: ticks, well-formed and escaped SVG, PNGs that decode to the asked size
// and show something, the edge cases (NaN, empty, one point, constant), and the page builder.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

#include "../test_util.h"
#include "tlab/report/html.h"
#include "tlab/report/plot.h"

namespace tlab::report {
namespace {

// Parses the SVG with Python's XML parser: true when it is well-formed.
bool well_formed(const std::string& svg) {
  test::TempDir dir;
  std::ofstream(dir.str("figure.svg")) << svg;
  return test::run_command("python3 -c \"import xml.etree.ElementTree as E,sys; E.parse(sys.argv[1])\" " +
                           dir.str("figure.svg")) == 0;
}

cv::Mat decode(const Figure& f) { return cv::imdecode(f.png, cv::IMREAD_COLOR); }

// Pixels that are not (nearly) white.
int inked(const cv::Mat& img) {
  cv::Mat grey;
  cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
  return cv::countNonZero(grey < 230);
}

// The attributes of the <text> element whose content is `content`.
std::string text_element(const std::string& svg, const std::string& content) {
  const size_t end = svg.find(">" + content + "</text>");
  if (end == std::string::npos) return "";
  return svg.substr(svg.rfind("<text", end), end - svg.rfind("<text", end));
}

Series series(std::string name, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.name = std::move(name), s.x = std::move(x), s.y = std::move(y);
  return s;
}
LineChart line_chart(std::vector<Series> series) {
  LineChart chart;
  chart.title = "Loss", chart.x_label = "epoch", chart.y_label = "loss", chart.series = std::move(series);
  return chart;
}
BarChart bar_chart(std::vector<std::string> categories, std::vector<Series> groups) {
  BarChart chart;
  chart.title = "F1", chart.y_label = "F1", chart.categories = std::move(categories), chart.groups = std::move(groups);
  return chart;
}
Heatmap heatmap(std::vector<std::string> labels, std::vector<std::vector<double>> values) {
  Heatmap chart;
  chart.title = "cm", chart.x_label = "predicted", chart.y_label = "actual";
  chart.row_labels = chart.col_labels = std::move(labels), chart.values = std::move(values);
  return chart;
}
ReliabilityBin bin(double lower, double upper, double confidence, double accuracy, long count) {
  ReliabilityBin b;
  b.lower = lower, b.upper = upper, b.confidence = confidence, b.accuracy = accuracy, b.count = count;
  return b;
}
LineChart two_curves() {
  Series val = series("val", {1, 2, 3, 4}, {2.1, 1.5, 1.1, 1.0});
  val.dashed = true;
  return line_chart({series("train", {1, 2, 3, 4}, {2.0, 1.2, 0.8, 0.6}), val});
}

TEST(ReportTicks, LinearTicksUseOneTwoFiveSteps) {
  const std::vector<double> t = nice_ticks(0, 0.87);
  ASSERT_EQ(t.size(), 5u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], 0.2 * i, 1e-12);
  EXPECT_EQ(nice_ticks(0, 100), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_ticks(-1, 1), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  EXPECT_EQ(format_tick(0.2, 0.2), "0.2");
  EXPECT_EQ(format_tick(40, 20), "40");
  EXPECT_EQ(format_tick(0.05, 0.01), "0.05");
}

TEST(ReportTicks, LogTicksAreDecades) {
  const std::vector<double> t = log_ticks(1e-7, 10);
  ASSERT_EQ(t.size(), 9u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(std::log10(t[i]), -7.0 + i, 1e-9);
  EXPECT_EQ(format_tick(1e-7, 1e-7), "1e-7");
  EXPECT_EQ(format_tick(0.01, 0.01), "0.01");
  EXPECT_LE(log_ticks(1e-30, 1e10).size(), 11u);                            // thinned
  EXPECT_EQ(log_ticks(1, 50), (std::vector<double>{1, 2, 5, 10, 20, 50}));  // short range: 1-2-5
}

TEST(ReportPlot, EveryChartIsWellFormedSvgWithAViewBoxAndNoReferences) {
  const std::vector<Figure> figs{render(two_curves()),
                                 render(bar_chart({"daisy", "roses"}, {series("a", {}, {0.9, 0.7})})),
                                 render(heatmap({"x", "y"}, {{5, 1}, {0, 4}})),
                                 reliability_diagram({bin(0, 0.5, 0.3, 0.25, 10), bin(0.5, 1, 0.8, 0.7, 30)}, 0.06)};
  for (const Figure& f : figs) {
    EXPECT_TRUE(well_formed(f.svg)) << f.svg;
    EXPECT_NE(f.svg.find("viewBox=\"0 0 "), std::string::npos);
    EXPECT_EQ(f.svg.find("href"), std::string::npos);
    EXPECT_EQ(f.svg.find("url("), std::string::npos);
  }
  EXPECT_NE(figs[3].svg.find("ECE = 0.0600"), std::string::npos);
}

TEST(ReportPlot, ClassNamesAreEscaped) {
  const std::string name = "a<b&\"c'";
  BarChart bars = bar_chart({name, "roses"}, {series(name, {}, {0.9, 0.7}), series("b", {}, {0.8, 0.6})});
  bars.title = "per class <F1>";
  const Figure f = render(bars);
  EXPECT_TRUE(well_formed(f.svg)) << f.svg;
  EXPECT_NE(f.svg.find("a&lt;b&amp;&quot;c&apos;"), std::string::npos);
  EXPECT_EQ(f.svg.find("a<b"), std::string::npos);
  EXPECT_NE(f.svg.find("per class &lt;F1&gt;"), std::string::npos);
  // Invalid UTF-8 and control characters do not break the document either.
  bars.categories[1] = "bad\xff\xfe utf8 \x01";
  EXPECT_TRUE(well_formed(render(bars).svg));
  EXPECT_EQ(escape_xml("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(escape_xml("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(ReportPlot, PngDecodesToTheRequestedSizeAndShowsTheSeries) {
  const cv::Mat img = decode(render(two_curves(), 500, 300));
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 500);
  EXPECT_EQ(img.rows, 300);
  EXPECT_GT(inked(img), 2000);
  // The first series' blue (#0072b2) is drawn.
  cv::Mat blue;
  cv::inRange(img, cv::Scalar(160, 90, 0), cv::Scalar(200, 130, 30), blue);
  EXPECT_GT(cv::countNonZero(blue), 100);
  const cv::Mat heat = decode(render(heatmap({}, {{1, 2}, {3, 4}})));
  EXPECT_EQ(heat.cols, 560);
  EXPECT_EQ(heat.rows, 520);
}

TEST(ReportPlot, DarkHeatmapCellsHaveWhiteText) {
  Heatmap heat = heatmap({"p", "q"}, {{100, 1}, {2, 90}});
  heat.cell_text = {{"dark", "light"}, {"pale", "deep"}};
  const std::string svg = render(heat).svg;
  EXPECT_TRUE(well_formed(svg));
  EXPECT_NE(text_element(svg, "dark").find("fill=\"#ffffff\""), std::string::npos) << svg;
  EXPECT_NE(text_element(svg, "deep").find("fill=\"#ffffff\""), std::string::npos);
  EXPECT_NE(text_element(svg, "light").find("fill=\"#222222\""), std::string::npos);
  heat.cell_text = {{"a"}};
  test::expect_invalid([&] { render(heat); }, "cell_text");
}

TEST(ReportPlot, NanAndInfinitePointsAreSkipped) {
  LineChart chart = line_chart({series("loss", {1e-5, 1e-4, 1e-3, 1e-2, -1}, {2.0, NAN, 1.0, INFINITY, 3.0})});
  chart.log_x = true;
  chart.series[0].y_err = {0.1, 0.1, NAN, 0.2, 0.1};  // a band, with a missing error
  chart.markers = {Marker{NAN, 1, "lost"}, Marker{1e-3, 1.0, "steepest"}};
  const Figure f = render(chart);
  EXPECT_TRUE(well_formed(f.svg));
  for (const char* bad : {"nan", "inf", "NaN", "lost"}) EXPECT_EQ(f.svg.find(bad), std::string::npos) << bad;
  EXPECT_NE(f.svg.find(">steepest<"), std::string::npos);
  EXPECT_EQ(decode(f).cols, 640);
}

TEST(ReportPlot, EmptyChartsSayNoData) {
  const std::vector<Figure> figs{render(LineChart()), render(line_chart({series("s", {1, 2}, {NAN, NAN})})),
                                 render(BarChart()), render(Heatmap()), reliability_diagram({}, NAN)};
  for (const Figure& f : figs) {
    EXPECT_TRUE(well_formed(f.svg));
    EXPECT_NE(f.svg.find(">no data<"), std::string::npos);
    EXPECT_FALSE(decode(f).empty());
  }
}

TEST(ReportPlot, SinglePointAndConstantSeriesGetAPaddedRange) {
  const std::string svg = render(line_chart({series("s", {3}, {0.5})})).svg;
  EXPECT_NE(svg.find(">0.50<"), std::string::npos);   // the value sits inside the padded axis
  EXPECT_NE(svg.find("<circle"), std::string::npos);  // a single point is drawn as a dot
  EXPECT_NE(render(line_chart({series("s", {1, 2, 3}, {0, 0, 0})})).svg.find(">0<"), std::string::npos);
  const BarChart bad = bar_chart({"a", "b"}, {series("g", {}, {1})});
  test::expect_invalid([&] { render(bad); }, "2 categories");
}

TEST(ReportPlot, ManyLongCategoriesAreRotatedAndThinned) {
  BarChart bars = bar_chart({}, {series("acc", {}, {})});
  for (int i = 0; i < 60; ++i) {
    bars.categories.push_back("a_very_long_category_name_number_" + std::to_string(i));
    bars.groups[0].y.push_back(i % 7);
  }
  const std::string svg = render(bars).svg;
  EXPECT_TRUE(well_formed(svg));
  EXPECT_EQ(svg.find(">a_very_long_category_name_number_2<"), std::string::npos);  // cut to a length
  EXPECT_NE(svg.find("...</text>"), std::string::npos);
  size_t shown = 0;
  for (size_t at = svg.find("rotate(-45"); at != std::string::npos; at = svg.find("rotate(-45", at + 1)) ++shown;
  EXPECT_GT(shown, 10u);  // rotated, and thinned so that they do not overlap
  EXPECT_LT(shown, 60u);
}

TEST(ReportPage, Base64) {
  auto b64 = [](const std::string& s) { return base64(std::vector<unsigned char>(s.begin(), s.end())); };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

TEST(ReportPage, SelfContainedEscapedAndOffline) {
  Page page("Run <1>");
  page.heading("Training & eval");
  page.paragraph("best epoch \"3\"");
  page.figure(render(two_curves()), "loss");
  page.figure(reliability_diagram({bin(0, 1, 0.7, 0.6, 5)}, 0.1), "calibration");
  const Figure f = render(two_curves());
  page.image(f.png, "image/png", "a chart", "loss chart");
  page.table({"split", "acc"}, {{"<script>", "0.9"}});
  GridImage thumb;
  thumb.bytes = f.png, thumb.alt = "top loss 1", thumb.caption = {"predicted: cat (0.91)", "actual: dog"};
  page.image_grid({thumb});
  page.preformatted("a < b");
  const std::string html = page.render();
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\""), std::string::npos);
  EXPECT_NE(html.find("<title>Run &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;script&gt;</td><td class=\"num\">0.9</td>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_NE(html.find("predicted: cat (0.91)<br>actual: dog"), std::string::npos);
  EXPECT_NE(html.find("display: grid"), std::string::npos);
  // The two figures and the image share one grid; the table ends it.
  EXPECT_EQ(html.find("<div class=\"figures\">", html.find("<div class=\"figures\">") + 1), std::string::npos);
  test::expect_invalid([&] { page.image(f.png, "text/html\"", "", ""); }, "image/");
  test::expect_invalid([&] { page.table({"a"}, {{"1", "2"}}); }, "row 0");
}

}  // namespace
}  // namespace tlab::report
