#include "tlab/features/hog.h"

#include <algorithm>
#include <cmath>

#include "tlab/core/error.h"

// Every step mirrors skimage 0.19.3's feature/_hog.py and feature/_hoghistogram.pyx; the comments
// quote the line each one follows, in skimage's types (a C float where the pyx has one). Bit-equal
// sums also need the compiler not to contract a * b + c into FMAs (the build has no -march).
namespace tlab::features {
namespace {

struct Grid {
  int cell_rows, cell_cols;    // pixels_per_cell = (c_row, c_col)
  int block_rows, block_cols;  // cells_per_block = (b_row, b_col)
  int cells_row, cells_col;    // n_cells_row = int(s_row // c_row), ...
  int blocks_row, blocks_col;  // n_blocks_row = (n_cells_row - b_row) + 1, ...
};

Grid grid(cv::Size size, const HogOptions& o) {
  validate(o);
  Grid g{};
  g.cell_rows = o.pixels_per_cell;
  g.cell_cols = o.pixels_per_cell_cols > 0 ? o.pixels_per_cell_cols : o.pixels_per_cell;
  g.block_rows = o.cells_per_block;
  g.block_cols = o.cells_per_block_cols > 0 ? o.cells_per_block_cols : o.cells_per_block;
  g.cells_row = size.height / g.cell_rows;
  g.cells_col = size.width / g.cell_cols;
  g.blocks_row = g.cells_row - g.block_rows + 1;
  g.blocks_col = g.cells_col - g.block_cols + 1;
  TLAB_CHECK(g.blocks_row >= 1 && g.blocks_col >= 1, "--hog-block: a block of ", g.block_rows, "x", g.block_cols,
             " cells of ", g.cell_rows, "x", g.cell_cols, " pixels needs an image of at least ",
             g.block_rows * g.cell_rows, "x", g.block_cols * g.cell_cols, " (rows x cols), found ", size.height, "x",
             size.width);
  return g;
}

// _hog_channel_gradient per channel, in the image's float type T (skimage's float_dtype: float32
// stays float32, everything else is float64): central differences inside, 0 on the first and
// last row (column). With several channels each pixel keeps the gradient of the channel with the
// largest np.hypot magnitude, the first one on ties (argmax; hence the strict >). Returned as
// float64, as hog() casts them (g_row.astype(float)) before the histograms.
template <typename T>
void gradients(const cv::Mat& x, cv::Mat& g_row, cv::Mat& g_col) {
  const int channels = x.channels();
  g_row.create(x.size(), CV_64F);
  g_col.create(x.size(), CV_64F);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) {
      const auto at = [&](int y, int z, int ch) { return x.ptr<T>(y)[z * channels + ch]; };
      T best_row = 0, best_col = 0, best = 0;
      for (int ch = 0; ch < channels; ++ch) {
        const T row = r > 0 && r < x.rows - 1 ? T(at(r + 1, c, ch) - at(r - 1, c, ch)) : T(0);
        const T col = c > 0 && c < x.cols - 1 ? T(at(r, c + 1, ch) - at(r, c - 1, ch)) : T(0);
        const T magnitude = std::hypot(row, col);
        if (ch == 0 || magnitude > best) best_row = row, best_col = col, best = magnitude;
      }
      g_row.at<double>(r, c) = best_row;
      g_col.at<double>(r, c) = best_col;
    }
}

// np.rad2deg(np.arctan2(g_row, g_col)) % 180, with numpy's float remainder (npy_divmod): the
// result takes the divisor's sign, and a zero remainder is +0.
double orientation(double g_row, double g_col) {
  const double degrees = std::atan2(g_row, g_col) * (180.0 / M_PI);
  double mod = std::fmod(degrees, 180.0);
  if (mod == 0) return 0.0;
  return mod < 0 ? mod + 180.0 : mod;
}

// skimage.draw.line (draw/_draw.pyx `_line`): Bresenham from (r0, c0) to (r1, c1), both included.
template <typename Plot>
void draw_line(int r0, int c0, int r1, int c1, Plot plot) {
  int r = r0, c = c0, dr = std::abs(r1 - r0), dc = std::abs(c1 - c0);
  int sc = c1 - c > 0 ? 1 : -1, sr = r1 - r > 0 ? 1 : -1;
  const bool steep = dr > dc;
  if (steep) {
    std::swap(c, r);
    std::swap(dc, dr);
    std::swap(sc, sr);
  }
  int d = 2 * dr - dc;
  for (int i = 0; i < dc; ++i) {
    if (steep) plot(c, r);
    else plot(r, c);
    while (d >= 0) {
      r += sr;
      d -= 2 * dc;
    }
    c += sc;
    d += 2 * dr;
  }
  plot(r1, c1);
}

// The visualize=True branch of hog(): per cell and orientation a line through the cell centre,
// perpendicular to the bin's mid angle, of radius min(c_row, c_col) // 2 - 1, adding the value.
cv::Mat draw_picture(cv::Size size, const Grid& g, int orientations, const std::vector<double>& hist) {
  cv::Mat picture = cv::Mat::zeros(size, CV_64F);
  const int radius = std::min(g.cell_rows, g.cell_cols) / 2 - 1;
  for (int r = 0; r < g.cells_row; ++r)
    for (int c = 0; c < g.cells_col; ++c)
      for (int o = 0; o < orientations; ++o) {
        const double mid = M_PI * (o + .5) / orientations;  // orientation_bin_midpoints
        const double dr = radius * std::sin(mid), dc = radius * std::cos(mid);
        const int centre_r = r * g.cell_rows + g.cell_rows / 2, centre_c = c * g.cell_cols + g.cell_cols / 2;
        const double value = hist[(size_t(r) * g.cells_col + c) * orientations + o];
        // draw.line(int(centre[0] - dc), int(centre[1] + dr), int(centre[0] + dc), int(centre[1] - dr)),
        // int() truncating; with cells of 2 px or more the line stays inside its cell.
        draw_line(int(centre_r - dc), int(centre_c + dr), int(centre_r + dc), int(centre_c - dr),
                  [&](int y, int x) { picture.at<double>(y, x) += value; });
      }
  return picture;
}

// _hog_normalize_block with eps = 1e-5, in place.
void normalize_block(std::vector<double>& block, const std::string& method) {
  constexpr double eps = 1e-5;
  const auto sum_of = [&](auto f) {
    double s = 0;
    for (double v : block) s += f(v);
    return s;
  };
  if (method == "L1" || method == "L1-sqrt") {
    const double l1 = sum_of([](double v) { return std::abs(v); }) + eps;
    for (double& v : block) v = method == "L1" ? v / l1 : std::sqrt(v / l1);
    return;
  }
  const auto scale_l2 = [&] {
    const double l2 = std::sqrt(sum_of([](double v) { return v * v; }) + eps * eps);
    for (double& v : block) v /= l2;
  };
  scale_l2();
  if (method == "L2-Hys") {  // np.minimum(out, 0.2), then L2 again
    for (double& v : block) v = std::min(v, 0.2);
    scale_l2();
  }
}

}  // namespace

void validate(const HogOptions& o) {
  TLAB_CHECK(o.orientations >= 1, "--hog-orientations: expected at least 1 bin, found ", o.orientations);
  TLAB_CHECK(o.pixels_per_cell >= 1 && o.pixels_per_cell_cols >= 0,
             "--hog-cell: expected cells of at least 1x1 pixels, found ", o.pixels_per_cell, "x",
             o.pixels_per_cell_cols);
  TLAB_CHECK(o.cells_per_block >= 1 && o.cells_per_block_cols >= 0,
             "--hog-block: expected blocks of at least 1x1 cells, found ", o.cells_per_block, "x",
             o.cells_per_block_cols);
  TLAB_CHECK(o.block_norm == "L1" || o.block_norm == "L1-sqrt" || o.block_norm == "L2" || o.block_norm == "L2-Hys",
             "--hog-norm: expected L1, L1-sqrt, L2 or L2-Hys, found '", o.block_norm, "'");
}

int hog_length(cv::Size size, const HogOptions& o) {
  const Grid g = grid(size, o);
  return g.blocks_row * g.blocks_col * g.block_rows * g.block_cols * o.orientations;
}

std::vector<float> hog(const cv::Mat& image, const HogOptions& o, cv::Mat* picture) {
  const int depth = image.depth();
  TLAB_CHECK((depth == CV_8U || depth == CV_32F || depth == CV_64F) && (image.channels() == 1 || image.channels() == 3),
             "hog: expected a uint8, float32 or float64 image with 1 or 3 channels, found depth ", depth, " with ",
             image.channels(), " channels");
  const Grid g = grid(image.size(), o);
  cv::Mat values, g_row, g_col;
  image.convertTo(values, depth == CV_32F ? CV_32F : CV_64F);  // image.astype(float_dtype): no scaling
  if (o.transform_sqrt) cv::sqrt(values, values);
  if (depth == CV_32F) gradients<float>(values, g_row, g_col);
  else gradients<double>(values, g_row, g_col);

  // hog_histograms / cell_hog: each pixel votes its magnitude into the bin i whose range
  // [180 / n * i, 180 / n * (i + 1)) holds its orientation (the same comparisons as cell_hog's
  // skip test), summed in a C float (`cdef float total`) in row-major order, then divided by the
  // cell's pixel count in float. Cells cover rows [k * c_row, (k + 1) * c_row) exactly.
  const int n = o.orientations;
  const double per_180 = 180. / n;  // number_of_orientations_per_180
  std::vector<double> hist(size_t(g.cells_row) * g.cells_col * n);  // [n_cells_row, n_cells_col, n]
  std::vector<float> total(static_cast<size_t>(n));
  for (int cr = 0; cr < g.cells_row; ++cr)
    for (int cc = 0; cc < g.cells_col; ++cc) {
      std::fill(total.begin(), total.end(), 0.f);
      for (int r = cr * g.cell_rows; r < (cr + 1) * g.cell_rows; ++r)
        for (int c = cc * g.cell_cols; c < (cc + 1) * g.cell_cols; ++c) {
          const double gr = g_row.at<double>(r, c), gc = g_col.at<double>(r, c);
          const double angle = orientation(gr, gc), magnitude = std::hypot(gc, gr);
          for (int i = 0; i < n; ++i)
            if (!(angle >= per_180 * (i + 1) || angle < per_180 * i)) total[size_t(i)] += magnitude;
        }
      for (int i = 0; i < n; ++i)
        hist[(size_t(cr) * g.cells_col + cc) * n + i] = total[size_t(i)] / (g.cell_rows * g.cell_cols);
    }
  if (picture) {
    TLAB_CHECK(std::min(g.cell_rows, g.cell_cols) >= 2, "--hog-cell: the picture needs cells of at least 2x2 pixels ",
               "(skimage's visualize indexes outside the image with 1-pixel cells), found ", g.cell_rows, "x",
               g.cell_cols);
    *picture = draw_picture(image.size(), g, n, hist);
  }

  // normalized_blocks[r, c] = _hog_normalize_block(orientation_histogram[r:r + b_row, c:c + b_col, :]),
  // raveled as [n_blocks_row, n_blocks_col, b_row, b_col, n].
  std::vector<float> out;
  out.reserve(size_t(g.blocks_row) * g.blocks_col * g.block_rows * g.block_cols * n);
  std::vector<double> block;
  for (int br = 0; br < g.blocks_row; ++br)
    for (int bc = 0; bc < g.blocks_col; ++bc) {
      block.clear();
      for (int r = br; r < br + g.block_rows; ++r)
        for (int c = bc; c < bc + g.block_cols; ++c) {
          const auto first = hist.begin() + std::ptrdiff_t((size_t(r) * g.cells_col + c) * n);
          block.insert(block.end(), first, first + n);
        }
      normalize_block(block, o.block_norm);
      out.insert(out.end(), block.begin(), block.end());
    }
  return out;
}

}  // namespace tlab::features
