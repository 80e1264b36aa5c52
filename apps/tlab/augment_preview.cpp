// tlab augment-preview: a PNG grid of original and augmented images of a data set.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>

#include "commands.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/data/spec.h"
#include "tlab/transforms/preview.h"

namespace tlab::app {
namespace {

struct PreviewArgs {
  std::string data, augment = "light", out;
  int count = 4, views = 7, image_size = 0;
  uint64_t seed = 0;
};

int run_augment_preview(const PreviewArgs& a) {
  const auto augmentation = transforms::Augmentation::from_flag(a.augment);
  data::DataSource src = data::open_data(a.data);
  const data::Dataset& ds = *src.train;
  TLAB_CHECK(a.count > 0, "--count: expected a positive number of images, got ", a.count);
  transforms::InputSpec spec;
  spec.channels = ds.channels();
  const auto fixed = ds.image_size();
  spec.height = a.image_size > 0 ? a.image_size : fixed ? fixed->height : 224;
  spec.width = a.image_size > 0 ? a.image_size : fixed ? fixed->width : 224;
  // A seeded sample of the data, classes taken in turn so that each row shows another class.
  std::vector<size_t> order(ds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(a.seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<cv::Mat> images;
  const size_t classes = ds.classes().size();
  for (size_t c = 0; images.size() < size_t(a.count) && c < classes * size_t(a.count); ++c)
    for (size_t i : order)
      if (size_t(ds.label(i)) == c % classes) {
        images.push_back(ds.get(i).image);
        order.erase(std::find(order.begin(), order.end(), i));
        break;
      }
  cv::Mat grid = transforms::preview_grid(images, augmentation, spec, a.views, a.seed);
  if (grid.channels() == 3) cv::cvtColor(grid, grid, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  TLAB_CHECK(cv::imencode(".png", grid, png), "augment-preview: could not encode the grid as PNG");
  write_file_atomic(a.out, std::string(png.begin(), png.end()));
  std::printf("wrote %s: %zu images (rows) x (1 original + %d augmented views), augmentation %s\n", a.out.c_str(),
              images.size(), a.views, augmentation.to_json().dump().c_str());
  return 0;
}

}  // namespace

Command add_augment_preview(CLI::App& app) {
  auto a = std::make_shared<PreviewArgs>();
  auto* c = app.add_subcommand("augment-preview", "write a grid of original and augmented images (PNG)");
  c->add_option("--data", a->data, "data spec (its training split is shown)")->required();
  c->add_option("--augment", a->augment, "none | light | keras | strong | FILE.json")->capture_default_str();
  c->add_option("--out", a->out, "PNG file to write")->required();
  c->add_option("--count", a->count, "images (rows)")->capture_default_str();
  c->add_option("--views", a->views, "augmented views per image")->capture_default_str();
  c->add_option("--image-size", a->image_size, "input side (0: the data's own size, else 224)")->capture_default_str();
  c->add_option("--seed", a->seed, "seed for the sample and the augmentation")->capture_default_str();
  return {c, [a] { return run_augment_preview(*a); }};
}

}  // namespace tlab::app
